// SPDX-License-Identifier: GPL-3.0-or-later
#include "util/crashpoint.h"

#include <QByteArray>
#include <QList>

#include <atomic>
#include <cstdlib>
#include <mutex>

#include <unistd.h>

namespace Sluice {

namespace {
struct CrashConfig
{
    QByteArray name;
    int hit = 1;
    std::atomic<int> seen{0};
};

CrashConfig *config()
{
    static CrashConfig *c = [] {
        const QByteArray env = qgetenv("SLUICE_CRASH_AT");
        if (env.isEmpty())
            return static_cast<CrashConfig *>(nullptr);
        auto *cfg = new CrashConfig;
        const QList<QByteArray> parts = env.split(':');
        cfg->name = parts.value(0);
        if (parts.size() > 1)
            cfg->hit = std::max(1, parts[1].toInt());
        return cfg;
    }();
    return c;
}
} // namespace

void crashPoint(const char *name)
{
    CrashConfig *cfg = config();
    if (!cfg || cfg->name != name)
        return;
    if (cfg->seen.fetch_add(1) + 1 == cfg->hit)
        _exit(137);
}

} // namespace Sluice
