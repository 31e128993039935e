#ifndef GATEPASS_BUILD_INFO_H
#define GATEPASS_BUILD_INFO_H

/* The source revision a release binary was built from, set by scripts/release and
 * scripts/install with `-Xcc -DGATEPASS_REVISION=\"<git revision>\"`; other builds say
 * "unknown". A C macro because Swift compilation conditions cannot carry values. */
#ifndef GATEPASS_REVISION
#define GATEPASS_REVISION "unknown"
#endif

static inline const char *gatepass_build_revision(void) { return GATEPASS_REVISION; }

#endif
