#include "exec/syscalls.h"
