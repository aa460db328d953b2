#include "plan/op.h"
