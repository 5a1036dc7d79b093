/*
 * jyaml.c: libyaml events -> struct jyaml_node tree.  The only user of
 * <yaml.h>; libyaml's errors become "name:line:column: message" here.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "jit-err.h"
#include "jyaml.h"

struct builder {
	const char *name;
	char **errp;
	size_t nodes;
	struct jyaml_node *stack[JYAML_DEPTH_MAX + 1];
	size_t depth;
	struct jyaml_node *root;
};

static int fail(struct builder *bld, unsigned line, unsigned col,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
fail(struct builder *bld, unsigned line, unsigned col, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	if (bld->errp != NULL && *bld->errp == NULL) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		if (asprintf(bld->errp, "%s:%u:%u: %s", bld->name, line, col,
		    msg) == -1)
			*bld->errp = NULL;
	}
	return JIT_ERR_INVALID_FORMAT;
}

void
jyaml_free(struct jyaml_node *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->n; i++)
		jyaml_free(n->items[i]);
	free(n->items);
	free(n->value);
	free(n);
}

static int
attach(struct builder *bld, struct jyaml_node *n)
{
	struct jyaml_node *parent, **items;

	if (bld->depth == 0) {
		if (bld->root != NULL)
			return fail(bld, n->line, n->col,
			    "only one YAML document is allowed");
		bld->root = n;
		return 0;
	}
	parent = bld->stack[bld->depth - 1];
	/* Capacity is implicit: 4, then doubling at each power of two. */
	if (parent->n == 0 ||
	    (parent->n >= 4 && (parent->n & (parent->n - 1)) == 0)) {
		size_t cap = parent->n == 0 ? 4 : parent->n * 2;

		if ((items = realloc(parent->items, cap * sizeof(*items))) == NULL)
			return JIT_ERR_ALLOC;
		parent->items = items;
	}
	parent->items[parent->n++] = n;
	return 0;
}

static int
on_node(struct builder *bld, const yaml_event_t *ev, struct jyaml_node **np)
{
	const yaml_mark_t *m = &ev->start_mark;
	unsigned line = (unsigned)m->line + 1, col = (unsigned)m->column + 1;
	const yaml_char_t *anchor = NULL, *tag = NULL;
	struct jyaml_node *n;
	int r;

	*np = NULL;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		anchor = ev->data.scalar.anchor;
		tag = ev->data.scalar.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
		break;
	default:
		return JIT_ERR_INTERNAL;
	}
	if (anchor != NULL)
		return fail(bld, line, col,
		    "YAML anchors and aliases are not allowed");
	if (tag != NULL)
		return fail(bld, line, col,
		    "YAML tags (%s) are not allowed", (const char *)tag);
	if (++bld->nodes > JYAML_NODES_MAX)
		return fail(bld, line, col, "too many YAML nodes (limit %u)",
		    JYAML_NODES_MAX);
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return JIT_ERR_ALLOC;
	n->line = line;
	n->col = col;
	if (ev->type == YAML_SCALAR_EVENT) {
		n->type = JYAML_SCALAR;
		n->len = ev->data.scalar.length;
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		if (n->len > JYAML_SCALAR_MAX) {
			jyaml_free(n);
			return fail(bld, line, col, "value is too long");
		}
		if (memchr(ev->data.scalar.value, '\0', n->len) != NULL) {
			jyaml_free(n);
			return fail(bld, line, col, "value contains a NUL byte");
		}
		if ((n->value = strndup((const char *)ev->data.scalar.value,
		    n->len)) == NULL) {
			jyaml_free(n);
			return JIT_ERR_ALLOC;
		}
	} else
		n->type = ev->type == YAML_SEQUENCE_START_EVENT ? JYAML_SEQ : JYAML_MAP;
	if ((r = attach(bld, n)) != 0) {
		if (bld->root != n)
			jyaml_free(n);
		return r;
	}
	*np = n;
	return 0;
}

int
jyaml_parse(const char *name, const unsigned char *data, size_t len,
    struct jyaml_node **rootp, char **errp)
{
	struct builder bld;
	yaml_parser_t parser;
	yaml_event_t ev;
	struct jyaml_node *n;
	int r = JIT_ERR_INTERNAL, done = 0, have_event = 0, docs = 0;

	*rootp = NULL;
	if (errp != NULL)
		*errp = NULL;
	memset(&bld, 0, sizeof(bld));
	bld.name = name;
	bld.errp = errp;
	if (!yaml_parser_initialize(&parser))
		return JIT_ERR_ALLOC;
	yaml_parser_set_input_string(&parser, data, len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			const yaml_mark_t *m = &parser.problem_mark;

			r = fail(&bld, (unsigned)m->line + 1,
			    (unsigned)m->column + 1, "YAML syntax error: %s%s%s",
			    parser.problem != NULL ? parser.problem : "unknown",
			    parser.context != NULL ? " " : "",
			    parser.context != NULL ? parser.context : "");
			goto out;
		}
		have_event = 1;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1) {
				r = fail(&bld, (unsigned)ev.start_mark.line + 1,
				    (unsigned)ev.start_mark.column + 1,
				    "only one YAML document is allowed");
				goto out;
			}
			break;
		case YAML_ALIAS_EVENT:
			r = fail(&bld, (unsigned)ev.start_mark.line + 1,
			    (unsigned)ev.start_mark.column + 1,
			    "YAML anchors and aliases are not allowed");
			goto out;
		case YAML_SCALAR_EVENT:
			if ((r = on_node(&bld, &ev, &n)) != 0)
				goto out;
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if ((r = on_node(&bld, &ev, &n)) != 0)
				goto out;
			if (bld.depth >= JYAML_DEPTH_MAX) {
				r = fail(&bld, n->line, n->col,
				    "YAML nested too deeply (limit %d)",
				    JYAML_DEPTH_MAX);
				goto out;
			}
			bld.stack[bld.depth++] = n;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (bld.depth == 0) {
				r = JIT_ERR_INTERNAL;
				goto out;
			}
			bld.depth--;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
		have_event = 0;
	}
	if (bld.root == NULL) {
		/* An empty file: an empty mapping, so "missing key" errors follow. */
		if ((bld.root = calloc(1, sizeof(*bld.root))) == NULL) {
			r = JIT_ERR_ALLOC;
			goto out;
		}
		bld.root->type = JYAML_MAP;
		bld.root->line = bld.root->col = 1;
	}
	*rootp = bld.root;
	bld.root = NULL;
	r = 0;
 out:
	if (have_event)
		yaml_event_delete(&ev);
	jyaml_free(bld.root);
	yaml_parser_delete(&parser);
	return r;
}

const struct jyaml_node *
jyaml_get(const struct jyaml_node *m, const char *key)
{
	size_t i;

	if (m == NULL || m->type != JYAML_MAP)
		return NULL;
	for (i = 0; i + 1 < m->n; i += 2)
		if (m->items[i]->type == JYAML_SCALAR &&
		    strcmp(m->items[i]->value, key) == 0)
			return m->items[i + 1];
	return NULL;
}
