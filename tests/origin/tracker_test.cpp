#include "origin/tracker.h"
