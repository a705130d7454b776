/* sink_pcapng: to be written. */
#include "sinks.h"
