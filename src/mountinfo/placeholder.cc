#include "mountinfo/mountinfo.h"
