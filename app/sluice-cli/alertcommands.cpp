// SPDX-License-Identifier: GPL-3.0-or-later
// sluice-cli commands of this family register themselves (CommandRegistration in commands.h).
#include "commands.h"
