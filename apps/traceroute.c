#include "apps.h"
