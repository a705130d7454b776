/* sink_stats: to be written. */
#include "sinks.h"
