/* tcpsim viz: finds the SDL2 visualizer module, checks that it was built for
 * this executable, and runs it.  Looked for, in order:
 *   1. $TCPSIM_VIZ_MODULE, when set (and then only there; a name without a
 *      slash is searched for as dlopen searches libraries);
 *   2. the build tree: viz/tcpsim-viz-sdl.so beside the running executable;
 *   3. where `meson install` puts it (TCPSIM_VIZ_MODULE_DIR). */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tcpsim_config.h"
#include "viz.h"
#include "viz_module.h"

#define VIZ_MODULE_ENV "TCPSIM_VIZ_MODULE"
#define VIZ_PATH_MAX   4096

/* What follows every failure, so the line says what to do about it. */
#define VIZ_LOAD_HINT                                                                              \
    "hint: build with SDL2, SDL2_ttf and libpng (-Dviz=enabled) and install, or "                  \
    "set " VIZ_MODULE_ENV "=PATH; ladders (tcpsim run --ladder, --svg, --mermaid) need no module"

/* The module in the build tree: viz/NAME in the folder of /proc/self/exe.
 * False when that path cannot be worked out. */
static bool viz_build_tree_path(char *out, size_t n)
{
    char exe[VIZ_PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0 || (size_t)len >= sizeof exe - 1)
        return false;
    exe[len] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return false;
    *slash = '\0';
    int k = snprintf(out, n, "%s/viz/%s", exe, TCPSIM_VIZ_MODULE_NAME);
    return k > 0 && (size_t)k < n;
}

/* Which file to open: the override, else the build tree's module when it is
 * there, else the installed one (whose absence dlopen then reports). */
static void viz_module_path(char *out, size_t n)
{
    const char *env = getenv(VIZ_MODULE_ENV);
    if (env && env[0]) {
        snprintf(out, n, "%s", env);
        return;
    }
    if (viz_build_tree_path(out, n) && access(out, F_OK) == 0)
        return;
    snprintf(out, n, "%s/%s", TCPSIM_VIZ_MODULE_DIR, TCPSIM_VIZ_MODULE_NAME);
}

/* The module's description, or NULL after printing why it cannot be used. */
static const struct viz_module *viz_module_check(void *handle, const char *path)
{
    void *sym = dlsym(handle, VIZ_MODULE_ENTRY);
    if (!sym) {
        const char *err = dlerror();
        fprintf(stderr, "tcpsim viz: not a visualizer module: %s; %s\n", err ? err : path,
                VIZ_LOAD_HINT);
        return NULL;
    }
    /* POSIX guarantees that dlsym's object pointer holds a function address. */
    viz_module_entry_fn entry;
    _Static_assert(sizeof entry == sizeof sym, "function and object pointers differ in size");
    memcpy(&entry, &sym, sizeof entry);
    const struct viz_module *m = entry();
    if (!m || m->abi != VIZ_MODULE_ABI || m->sizeof_recording != sizeof(struct recording) ||
        m->sizeof_world != sizeof(struct world_desc) || m->sizeof_opts != sizeof(struct viz_opts) ||
        !m->run) {
        fprintf(stderr,
                "tcpsim viz: %s was built for another tcpsim (module interface %u, this tcpsim "
                "needs %u with the same structures); rebuild and reinstall both\n",
                path, m ? m->abi : 0u, (unsigned)VIZ_MODULE_ABI);
        return NULL;
    }
    return m;
}

int viz_main(const struct recording *r, const struct world_desc *w, const struct viz_opts *o)
{
    char path[VIZ_PATH_MAX];
    viz_module_path(path, sizeof path);
    /* RTLD_NOW: a library or symbol the module lacks is reported here, in
     * one line, not halfway through drawing. */
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char *err = dlerror();
        fprintf(stderr, "tcpsim viz: cannot load the SDL2 visualizer module: %s; %s\n",
                err ? err : path, VIZ_LOAD_HINT);
        return 3;
    }
    const struct viz_module *m = viz_module_check(handle, path);
    int rc = m ? m->run(r, w, o) : 3;
    dlclose(handle);
    return rc;
}
