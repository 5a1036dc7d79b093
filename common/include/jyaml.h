/*
 * jyaml.h: a small, strict YAML tree, the one YAML reader of jit-ssh (the
 * policy, the CA's config.yaml, the client's config.yaml).  jyaml.c is the
 * only file that includes <yaml.h>.  Anchors, aliases and explicit tags are
 * refused (no alias expansion, so no billion laughs); one document only;
 * nesting depth, node count and scalar size are bounded.
 */
#ifndef JIT_JYAML_H
#define JIT_JYAML_H

#include <stddef.h>

enum jyaml_type { JYAML_SCALAR, JYAML_SEQ, JYAML_MAP };

struct jyaml_node {
	enum jyaml_type type;
	unsigned line, col;	/* 1-based position of the node's start */
	char *value;		/* scalars: NUL-terminated text */
	size_t len;		/* scalars: length of value */
	int plain;		/* scalars: unquoted */
	struct jyaml_node **items;	/* seq: items; map: key, value, key, value... */
	size_t n;		/* number of entries in items */
};

#define JYAML_DEPTH_MAX		32
#define JYAML_NODES_MAX		1000000
#define JYAML_SCALAR_MAX	65536

/*
 * Parses one YAML document.  On a problem returns JIT_ERR_INVALID_FORMAT
 * with "name:line:column: message" in *errp (when errp is not NULL).  An
 * empty document gives an empty mapping.
 */
int jyaml_parse(const char *name, const unsigned char *data, size_t len,
    struct jyaml_node **rootp, char **errp);

void jyaml_free(struct jyaml_node *n);

/*
 * The value of key in mapping m, or NULL.  (Keys are not checked for
 * duplicates here: jyaml_check_keys() does that.)
 */
const struct jyaml_node *jyaml_get(const struct jyaml_node *m, const char *key);

#endif /* JIT_JYAML_H */
