/* The program's name and version, e.g. "gaiasim 0.1.0" (from configure.ac). */
#ifndef GAIA_VERSION_H
#define GAIA_VERSION_H

const char *gaiasim_version(void);

#endif
