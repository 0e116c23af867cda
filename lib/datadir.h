/*
 * Finding shipped data by name (topologies, traces, example configurations, plot scripts).
 * A name is looked up as SUB/NAME.EXT in these folders, first match wins
 * (docs/install.md, "Where gaiasim finds its data"):
 *   1. the folder in the environment variable given by the caller (e.g. $GAIASIM_TOPODIR),
 *      taken as the SUB folder itself;
 *   2. the installed layout beside the running program: DIR/../share/gaiasim/SUB when the
 *      program is DIR/gaiasim (so an install moved as a whole, or staged with DESTDIR, works);
 *   3. the source tree (compiled in), only when the running program lies inside the build
 *      tree it was built in, so an installed program never reads the source tree;
 *   4. the installed data directory (compiled in: $(pkgdatadir)/SUB).
 */
#ifndef GAIA_DATADIR_H
#define GAIA_DATADIR_H

#include <stddef.h>

/*
 * Path of the first existing regular file SUB/NAME.EXT in the folders above (env: name of the
 * environment variable, or NULL; src_sub: the source tree's folder for SUB, relative to the
 * source tree's top). Returns an allocated path, or NULL. When NULL and `searched` is not NULL,
 * writes the folders tried (", "-separated) there for the error message.
 */
char *datadir_find(const char *env, const char *sub, const char *src_sub, const char *name,
                   const char *ext, char *searched, size_t searched_size);

/* The folders datadir_find would try for SUB, in order, written to out[0..max-1] (allocated,
 * caller frees each); returns how many. */
int datadir_dirs(const char *env, const char *sub, const char *src_sub, char **out, int max);

#endif
