/* scenario loader: to be written. */
#include <stdio.h>
