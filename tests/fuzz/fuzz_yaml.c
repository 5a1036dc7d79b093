/*
 * Fuzz target: the strict YAML tree reader (common/jyaml.c) that the
 * policy and both configurations go through.  Beyond memory safety: a
 * tree comes with no error, an error with no tree; a mapping holds
 * key/value pairs; every node has a line.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "jyaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static void
walk(const struct jyaml_node *n, unsigned depth)
{
	size_t i;

	if (n == NULL || depth > 1000 || n->line == 0)
		abort();
	if (n->type == JYAML_MAP && n->n % 2 != 0)
		abort();
	if (n->type == JYAML_SCALAR && n->value == NULL)
		abort();
	for (i = 0; n->type != JYAML_SCALAR && i < n->n; i++)
		walk(n->items[i], depth + 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct jyaml_node *root = NULL;
	char *err = NULL;
	int r;

	r = jyaml_parse("fuzz.yaml", data, len, &root, &err);
	if ((r == 0) != (root != NULL) || (r == 0 && err != NULL))
		abort();
	if (r == 0)
		walk(root, 0);
	jyaml_free(root);
	free(err);
	return 0;
}
