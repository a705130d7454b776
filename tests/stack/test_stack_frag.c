#include <criterion/criterion.h>
#include "fixture.h"
Test(frag, placeholder) {}
