/* decode: to be written. */
#include "decode.h"
