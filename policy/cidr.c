/*
 * cidr.c: addresses and CIDR networks (host bits zero).
 */
#include <arpa/inet.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "jbuf.h"
#include "jcert.h"
#include "jit-err.h"
#include "jit-util.h"
#include "jpolicy.h"
#include "jyaml.h"
#include "policy-impl.h"
#include "schema.h"

int
policy_parse_cidr(const char *s, struct pcidr *c)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	unsigned long bits;
	size_t alen, i;
	unsigned hostbits;

	memset(c, 0, sizeof(*c));
	if (s == NULL || strlen(s) >= sizeof(buf))
		return JIT_ERR_INVALID_FORMAT;
	strcpy(buf, s);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, c->addr) == 1) {
		c->family = AF_INET;
		alen = 4;
	} else if (inet_pton(AF_INET6, buf, c->addr) == 1) {
		c->family = AF_INET6;
		alen = 16;
	} else
		return JIT_ERR_INVALID_FORMAT;
	if (slash == NULL) {
		c->bits = (unsigned)alen * 8;
		return 0;
	}
	if (*slash < '0' || *slash > '9')
		return JIT_ERR_INVALID_FORMAT;
	bits = strtoul(slash, &end, 10);
	if (*end != '\0' || bits > alen * 8 || (slash[0] == '0' && slash[1]))
		return JIT_ERR_INVALID_FORMAT;
	c->bits = (unsigned)bits;
	/* Host bits must be zero: "10.1.2.3/8" is a typo, not a network. */
	for (i = 0; i < alen; i++) {
		hostbits = i * 8 >= c->bits ? 8 :
		    (i + 1) * 8 > c->bits ? (unsigned)((i + 1) * 8 - c->bits) : 0;
		if (hostbits && (c->addr[i] & ((1u << hostbits) - 1)) != 0)
			return JIT_ERR_INVALID_FORMAT;
	}
	return 0;
}

int
policy_cidr_contains(const struct pcidr *c, const struct pcidr *a)
{
	unsigned full, rest;

	if (c->family != a->family)
		return 0;
	full = c->bits / 8;
	rest = c->bits % 8;
	if (memcmp(c->addr, a->addr, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((c->addr[full] ^ a->addr[full]) &
	    (unsigned char)(0xff << (8 - rest))) == 0;
}

int
schema_get_cidrs(struct ctx *c, const struct jyaml_node *n, const char *what,
    struct pcidr **out, size_t *nout, char **textp)
{
	struct jbuf *text = NULL;
	size_t i;
	int r;

	if ((r = schema_want(c, n, JYAML_SEQ, what)) != 0)
		return r;
	if (n->n == 0)
		return schema_err(c, n, "%s must not be empty", what);
	if (n->n > LIST_MAX)
		return schema_err(c, n, "%s: too many entries", what);
	if ((*out = calloc(n->n, sizeof(**out))) == NULL ||
	    (text = jbuf_new()) == NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	for (i = 0; i < n->n; i++) {
		const struct jyaml_node *it = n->items[i];

		if ((r = schema_want(c, it, JYAML_SCALAR, what)) != 0)
			goto out;
		if (policy_parse_cidr(it->value, &(*out)[i]) != 0) {
			r = schema_err(c, it, "%s: '%s' is not an address or CIDR "
			    "network (like 10.0.0.0/8 or 2001:db8::/32, host bits "
			    "zero)", what, it->value);
			goto out;
		}
		if ((i > 0 && (r = jbuf_put_u8(text, ',')) != 0) ||
		    (r = jbuf_put(text, it->value, strlen(it->value))) != 0)
			goto out;
	}
	*nout = n->n;
	if ((r = jbuf_put_u8(text, '\0')) != 0)
		goto out;
	if ((*textp = strdup((const char *)jbuf_ptr(text))) == NULL)
		r = JIT_ERR_ALLOC;
 out:
	jbuf_free(text);
	return r;
}
