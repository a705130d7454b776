#include <criterion/criterion.h>
#include "fixture.h"
Test(icmp, placeholder) {}
