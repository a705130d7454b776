/* link: to be written. */
#include "link.h"
