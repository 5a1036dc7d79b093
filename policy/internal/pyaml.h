/*
 * pyaml.h: a small, strict YAML tree for the policy loader (policy/ only).
 * yaml.c is the only file that includes <yaml.h>.  Anchors, aliases and
 * explicit tags are refused (no alias expansion, so no billion laughs);
 * nesting depth, node count and scalar size are bounded.
 */
#ifndef JIT_PYAML_H
#define JIT_PYAML_H

#include <stddef.h>

enum pnode_type { PN_SCALAR, PN_SEQ, PN_MAP };

struct pnode {
	enum pnode_type type;
	unsigned line, col;	/* 1-based position of the node's start */
	char *value;		/* scalars: NUL-terminated text */
	size_t len;		/* scalars: length of value */
	int plain;		/* scalars: unquoted */
	struct pnode **items;	/* seq: items; map: key, value, key, value... */
	size_t n;		/* number of entries in items */
};

#define PYAML_DEPTH_MAX		32
#define PYAML_NODES_MAX		1000000
#define PYAML_SCALAR_MAX	65536

/*
 * Parses one YAML document.  On error returns JIT_ERR_POLICY with
 * "name:line:column: message" in *errp (when errp is not NULL).
 * An empty document gives an empty mapping.
 */
int pyaml_parse(const char *name, const unsigned char *data, size_t len,
    struct pnode **rootp, char **errp);

void pnode_free(struct pnode *n);

#endif /* JIT_PYAML_H */
