/* sink_jsonl: to be written. */
#include "sinks.h"
