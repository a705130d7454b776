/* Slimming a scenario once its world is built: the records hold per host,
 * link and app a few hundred bytes that only building reads (interfaces,
 * routes, TCP and link parameters, app configurations), while a run reads
 * only their names, the ends of links and the types of apps.  The names
 * themselves are not copied: their pointers move into the briefs. */
#include <stdlib.h>

#include "scn_internal.h"

static void free_app(struct scn_app *a)
{
    free(a->id);
    if (a->type == SCN_APP_TCP_CLIENT)
        free((void *)a->cfg.tcp_client.script);
}

void scn_free_records(struct scenario *sc)
{
    for (uint32_t i = 0; sc->hosts && i < sc->n_hosts; i++) {
        free(sc->hosts[i].name);
        free(sc->hosts[i].links);
        free(sc->hosts[i].routes);
    }
    for (uint32_t i = 0; sc->links && i < sc->n_links; i++)
        free(sc->links[i].name);
    for (uint32_t i = 0; sc->apps && i < sc->n_apps; i++)
        free_app(&sc->apps[i]);
    free(sc->hosts);
    free(sc->links);
    free(sc->apps);
    free(sc->faults);
    sc->hosts = NULL;
    sc->links = NULL;
    sc->apps = NULL;
    sc->faults = NULL;
}

/* Takes the names out of the records (which then no longer own them). */
static void move_names(struct scenario *sc)
{
    for (uint32_t i = 0; i < sc->n_hosts; i++) {
        sc->host_names[i] = sc->hosts[i].name;
        sc->hosts[i].name = NULL;
    }
    for (uint32_t i = 0; i < sc->n_links; i++) {
        const struct scn_link *l = &sc->links[i];
        sc->link_briefs[i] =
            (struct scn_link_brief){.name = l->name, .host = {l->end[0].host, l->end[1].host}};
        sc->links[i].name = NULL;
    }
    for (uint32_t i = 0; i < sc->n_apps; i++) {
        sc->app_briefs[i] = (struct scn_app_brief){.id = sc->apps[i].id, .type = sc->apps[i].type};
        sc->apps[i].id = NULL;
    }
}

bool scenario_slim(struct scenario *sc)
{
    if (sc->slim)
        return true;
    char **hosts = calloc(sc->n_hosts ? sc->n_hosts : 1, sizeof *hosts);
    struct scn_link_brief *links = calloc(sc->n_links ? sc->n_links : 1, sizeof *links);
    struct scn_app_brief *apps = calloc(sc->n_apps ? sc->n_apps : 1, sizeof *apps);
    if (!hosts || !links || !apps) {
        free(hosts);
        free(links);
        free(apps);
        return false;
    }
    sc->host_names = hosts;
    sc->link_briefs = links;
    sc->app_briefs = apps;
    move_names(sc);
    scn_free_records(sc);
    sc->n_faults = 0;
    sc->slim = true;
    return true;
}

const char *scenario_host_name(const struct scenario *sc, uint32_t i)
{
    return sc->slim ? sc->host_names[i] : sc->hosts[i].name;
}

const char *scenario_link_name(const struct scenario *sc, uint32_t i)
{
    return sc->slim ? sc->link_briefs[i].name : sc->links[i].name;
}

uint32_t scenario_link_host(const struct scenario *sc, uint32_t i, int side)
{
    return sc->slim ? sc->link_briefs[i].host[side] : sc->links[i].end[side].host;
}

const char *scenario_app_id(const struct scenario *sc, uint32_t i)
{
    return sc->slim ? sc->app_briefs[i].id : sc->apps[i].id;
}

enum scn_app_type scenario_app_type(const struct scenario *sc, uint32_t i)
{
    return sc->slim ? sc->app_briefs[i].type : sc->apps[i].type;
}
