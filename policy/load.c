/*
 * load.c: policy.yaml -> struct jpolicy, refusing anything ambiguous.
 * Every refusal names file:line:column.  See jpolicy.h and README.md.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "jbuf.h"
#include "jcert.h"
#include "jit-err.h"
#include "jit-util.h"
#include "policy-impl.h"
#include "jyaml.h"

#define NAME_MAX_LEN	64
#define LIVE_CERTS_DEFAULT	100	/* per user, unexpired and unrevoked */
#define LIVE_CERTS_MAX		1000000
#define LIST_MAX	4096
#define QUORUM_MAX	100
#define DURATION_MAX	(366ULL * 86400)

struct ctx {
	const char *name;
	char **errp;
	struct jpolicy *p;
	struct pstrv groups;	/* every group some user is in, sorted */
	unsigned nerr;		/* problems found so far */
};

#define ERRORS_MAX	100	/* reported in one run; the rest counted */

static int
perr(struct ctx *c, const struct jyaml_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
perr(struct ctx *c, const struct jyaml_node *n, const char *fmt, ...)
{
	char msg[JPOLICY_ERR_MAX], *all;
	va_list ap;
	int k;

	/* Every problem, one "file:line:column: message" line each. */
	if (c->errp != NULL && c->nerr < ERRORS_MAX) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		k = asprintf(&all, "%s%s%s:%u:%u: %s", *c->errp != NULL ?
		    *c->errp : "", *c->errp != NULL ? "\n" : "", c->name,
		    n != NULL ? n->line : 1, n != NULL ? n->col : 1, msg);
		if (k != -1) {
			free(*c->errp);
			*c->errp = all;
		}
	}
	c->nerr++;
	return JIT_ERR_POLICY;
}

/*
 * After a part failed: a policy problem is on record and loading goes on
 * with the next part (0); anything else (memory) stops it.
 */
static int
keep_going(int r)
{
	return r == JIT_ERR_POLICY ? 0 : r;
}

static void
pstrv_free(struct pstrv *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		free(v->v[i]);
	free(v->v);
	v->v = NULL;
	v->n = 0;
}

static int
pstrv_add(struct pstrv *v, const char *s)
{
	char **n, *d;

	if ((d = strdup(s)) == NULL)
		return JIT_ERR_ALLOC;
	if ((n = realloc(v->v, (v->n + 1) * sizeof(*n))) == NULL) {
		free(d);
		return JIT_ERR_ALLOC;
	}
	v->v = n;
	v->v[v->n++] = d;
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
pstrv_has(const struct pstrv *v, const char *s)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (strcmp(v->v[i], s) == 0)
			return 1;
	return 0;
}

static int
cmp_node_value(const void *a, const void *b)
{
	const struct jyaml_node *x = *(const struct jyaml_node *const *)a;
	const struct jyaml_node *y = *(const struct jyaml_node *const *)b;
	int d = strcmp(x->value, y->value);

	if (d != 0)
		return d;
	/* Equal keys: keep file order, so the later one is reported. */
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->col < y->col ? -1 : x->col > y->col;
}

static const char *
type_word(enum jyaml_type t)
{
	return t == JYAML_MAP ? "a mapping" : t == JYAML_SEQ ? "a list" : "a value";
}

static int
want(struct ctx *c, const struct jyaml_node *n, enum jyaml_type t, const char *what)
{
	if (n->type != t)
		return perr(c, n, "%s must be %s, not %s", what, type_word(t),
		    type_word(n->type));
	return 0;
}

/*
 * A mapping's keys: scalars, no duplicates, each one of allowed (unless
 * allowed is NULL).
 */
static int
check_keys(struct ctx *c, const struct jyaml_node *map, const char *what,
    const char *const *allowed)
{
	const struct jyaml_node **keys = NULL;
	size_t i, j, nk = map->n / 2;
	int r = 0;

	for (i = 0; i < nk; i++) {
		const struct jyaml_node *k = map->items[2 * i];

		if (k->type != JYAML_SCALAR)
			return perr(c, k, "%s: keys must be plain names", what);
		if (allowed == NULL)
			continue;
		for (j = 0; allowed[j] != NULL; j++)
			if (strcmp(allowed[j], k->value) == 0)
				break;
		if (allowed[j] == NULL)
			return perr(c, k, "%s: unknown key '%s'", what, k->value);
	}
	if (nk < 2)
		return 0;
	if ((keys = calloc(nk, sizeof(*keys))) == NULL)
		return JIT_ERR_ALLOC;
	for (i = 0; i < nk; i++)
		keys[i] = map->items[2 * i];
	qsort(keys, nk, sizeof(*keys), cmp_node_value);
	for (i = 1; i < nk; i++) {
		if (strcmp(keys[i - 1]->value, keys[i]->value) == 0) {
			r = perr(c, keys[i], "%s: duplicate key '%s'", what,
			    keys[i]->value);
			break;
		}
	}
	free(keys);
	return r;
}

/* The value node for key in map, or NULL. */
/* Users, groups and roles: [A-Za-z0-9._@-], 1..64, not starting with '-'. */
static int
name_ok(const char *s)
{
	size_t i, len = strlen(s);

	if (len == 0 || len > NAME_MAX_LEN || s[0] == '-' || s[0] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
		    ch == '-' || ch == '@'))
			return 0;
	}
	return 1;
}

static int
get_name(struct ctx *c, const struct jyaml_node *n, const char *what)
{
	int r;

	if ((r = want(c, n, JYAML_SCALAR, what)) != 0)
		return r;
	if (!name_ok(n->value))
		return perr(c, n, "%s '%s' is not a valid name (letters, digits, "
		    "'.', '_', '-', '@'; at most %d)", what, n->value,
		    NAME_MAX_LEN);
	return 0;
}

int
jpolicy_parse_duration(const char *s, uint64_t *secsp)
{
	uint64_t total = 0, v, unit, last_unit = UINT64_MAX;
	const char *p = s;

	*secsp = 0;
	if (s == NULL || *s == '\0')
		return JIT_ERR_INVALID_FORMAT;
	while (*p != '\0') {
		if (*p < '0' || *p > '9')
			return JIT_ERR_INVALID_FORMAT;
		for (v = 0; *p >= '0' && *p <= '9'; p++) {
			if (v > DURATION_MAX)
				return JIT_ERR_INVALID_FORMAT;
			v = v * 10 + (uint64_t)(*p - '0');
		}
		switch (*p++) {
		case 'd':
			unit = 86400;
			break;
		case 'h':
			unit = 3600;
			break;
		case 'm':
			unit = 60;
			break;
		case 's':
			unit = 1;
			break;
		default:
			return JIT_ERR_INVALID_FORMAT;
		}
		/* Units in decreasing order, each once: "1h30m", not "30m1h". */
		if (unit >= last_unit || v > DURATION_MAX)
			return JIT_ERR_INVALID_FORMAT;
		last_unit = unit;
		total += v * unit;
		if (total > DURATION_MAX)
			return JIT_ERR_INVALID_FORMAT;
	}
	if (total == 0)
		return JIT_ERR_INVALID_FORMAT;
	*secsp = total;
	return 0;
}

void
jpolicy_format_duration(uint64_t secs, char *buf, size_t len)
{
	static const struct { uint64_t unit; char c; } units[] = {
		{ 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' },
	};
	size_t i, off = 0;
	int n;

	if (len == 0)
		return;
	buf[0] = '\0';
	if (secs == 0) {
		snprintf(buf, len, "0s");
		return;
	}
	for (i = 0; i < 4 && off < len; i++) {
		if (secs < units[i].unit)
			continue;
		n = snprintf(buf + off, len - off, "%llu%c",
		    (unsigned long long)(secs / units[i].unit), units[i].c);
		if (n < 0)
			return;
		off += (size_t)n;
		secs %= units[i].unit;
	}
}

static int
get_duration(struct ctx *c, const struct jyaml_node *n, const char *what,
    uint64_t *out)
{
	int r;

	if ((r = want(c, n, JYAML_SCALAR, what)) != 0)
		return r;
	if (jpolicy_parse_duration(n->value, out) != 0)
		return perr(c, n, "%s: '%s' is not a duration (a positive "
		    "number with s, m, h or d, like 90s, 5m, 1h30m; at most "
		    "366d)", what, n->value);
	return 0;
}

static int
get_bool(struct ctx *c, const struct jyaml_node *n, const char *what, int *out)
{
	int r;

	if ((r = want(c, n, JYAML_SCALAR, what)) != 0)
		return r;
	if (n->plain && strcmp(n->value, "true") == 0)
		*out = 1;
	else if (n->plain && strcmp(n->value, "false") == 0)
		*out = 0;
	else
		return perr(c, n, "%s must be true or false, not '%s'", what,
		    n->value);
	return 0;
}

/* "required" or "optional". */
static int
get_required(struct ctx *c, const struct jyaml_node *n, const char *what, int *out)
{
	int r;

	if ((r = want(c, n, JYAML_SCALAR, what)) != 0)
		return r;
	if (strcmp(n->value, "required") == 0)
		*out = 1;
	else if (strcmp(n->value, "optional") == 0)
		*out = 0;
	else
		return perr(c, n, "%s must be 'required' or 'optional', not '%s'",
		    what, n->value);
	return 0;
}

/* A list of scalars; each is passed to check (may be NULL) then kept. */
static int
get_list(struct ctx *c, const struct jyaml_node *n, const char *what,
    int (*check)(struct ctx *, const struct jyaml_node *, const char *),
    struct pstrv *out)
{
	size_t i;
	int r;

	if ((r = want(c, n, JYAML_SEQ, what)) != 0)
		return r;
	if (n->n > LIST_MAX)
		return perr(c, n, "%s: too many entries (limit %d)", what,
		    LIST_MAX);
	for (i = 0; i < n->n; i++) {
		const struct jyaml_node *it = n->items[i];

		if ((r = want(c, it, JYAML_SCALAR, what)) != 0)
			return r;
		if (check != NULL && (r = check(c, it, what)) != 0)
			return r;
		if (pstrv_has(out, it->value))
			return perr(c, it, "%s: '%s' is listed twice", what,
			    it->value);
		if ((r = pstrv_add(out, it->value)) != 0)
			return r;
	}
	return 0;
}

static int
check_known_group(struct ctx *c, const struct jyaml_node *n, const char *what)
{
	if (c->groups.n == 0 || bsearch(&n->value, c->groups.v, c->groups.n,
	    sizeof(char *), cmp_str) == NULL)
		return perr(c, n, "%s: unknown group '%s' (no user is in it)",
		    what, n->value);
	return 0;
}

static int
check_user_group(struct ctx *c, const struct jyaml_node *n, const char *what)
{
	return get_name(c, n, what);
}

/* Principals: no whitespace, commas or control characters; "{user}" only. */
static int
check_principal(struct ctx *c, const struct jyaml_node *n, const char *what)
{
	const char *s = n->value, *b;
	size_t i, users = 0, len = strlen(s);

	if (*s == '\0')
		return perr(c, n, "%s: a principal must not be empty", what);
	if (len > JCERT_NAME_MAX)
		return perr(c, n, "%s: principal is too long", what);
	for (i = 0; s[i] != '\0'; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch <= ' ' || ch == 0x7f || ch == ',')
			return perr(c, n, "%s: principal '%s' contains "
			    "whitespace, a comma or a control character", what, s);
	}
	for (b = strchr(s, '{'); b != NULL; b = strchr(b + 6, '{')) {
		if (strncmp(b, "{user}", 6) != 0)
			return perr(c, n, "%s: unknown placeholder in '%s' "
			    "(only {user} is defined)", what, s);
		users++;
	}
	/* Refused at load, not at issuance: the longest user name fits. */
	if (len - users * 6 + users * NAME_MAX_LEN > JCERT_NAME_MAX)
		return perr(c, n, "%s: principal '%s' can expand to %zu bytes "
		    "(user names have up to %d), more than the %d a "
		    "certificate holds", what, s,
		    len - users * 6 + users * NAME_MAX_LEN, NAME_MAX_LEN,
		    JCERT_NAME_MAX);
	/* A '}' outside "{user}". */
	for (b = strchr(s, '}'); b != NULL; b = strchr(b + 1, '}'))
		if (b - s < 5 || strncmp(b - 5, "{user}", 6) != 0)
			return perr(c, n, "%s: stray '}' in '%s'", what, s);
	return 0;
}

static int
check_extension(struct ctx *c, const struct jyaml_node *n, const char *what)
{
	static const char *const known[] = { "no-touch-required",
	    "permit-X11-forwarding", "permit-agent-forwarding",
	    "permit-port-forwarding", "permit-pty", "permit-user-rc", NULL };
	const char *s = n->value;
	size_t i;

	for (i = 0; known[i] != NULL; i++)
		if (strcmp(known[i], s) == 0)
			return 0;
	/* Vendor extensions are name@domain, as PROTOCOL.certkeys says. */
	if (strchr(s, '@') != NULL && s[0] != '@' && strspn(s,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	    ".-_@") == strlen(s))
		return 0;
	return perr(c, n, "%s: unknown extension '%s' (known: permit-pty, "
	    "permit-port-forwarding, permit-agent-forwarding, "
	    "permit-X11-forwarding, permit-user-rc, no-touch-required, or "
	    "name@domain)", what, s);
}

static int
get_key_types(struct ctx *c, const struct jyaml_node *n, const char *what,
    unsigned *out)
{
	size_t i;
	unsigned bit;
	int r;

	if ((r = want(c, n, JYAML_SEQ, what)) != 0)
		return r;
	if (n->n == 0)
		return perr(c, n, "%s must not be empty", what);
	*out = 0;
	for (i = 0; i < n->n; i++) {
		const struct jyaml_node *it = n->items[i];

		if ((r = want(c, it, JYAML_SCALAR, what)) != 0)
			return r;
		if (strcmp(it->value, "ed25519") == 0)
			bit = KT_ED25519;
		else if (strcmp(it->value, "ecdsa") == 0)
			bit = KT_ECDSA;
		else if (strcmp(it->value, "rsa") == 0)
			bit = KT_RSA;
		else
			return perr(c, it, "%s: unknown key type '%s' (ed25519, "
			    "ecdsa or rsa)", what, it->value);
		if (*out & bit)
			return perr(c, it, "%s: '%s' is listed twice", what,
			    it->value);
		*out |= bit;
	}
	return 0;
}

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

static int
get_cidrs(struct ctx *c, const struct jyaml_node *n, const char *what,
    struct pcidr **out, size_t *nout, char **textp)
{
	struct jbuf *text = NULL;
	size_t i;
	int r;

	if ((r = want(c, n, JYAML_SEQ, what)) != 0)
		return r;
	if (n->n == 0)
		return perr(c, n, "%s must not be empty", what);
	if (n->n > LIST_MAX)
		return perr(c, n, "%s: too many entries", what);
	if ((*out = calloc(n->n, sizeof(**out))) == NULL ||
	    (text = jbuf_new()) == NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	for (i = 0; i < n->n; i++) {
		const struct jyaml_node *it = n->items[i];

		if ((r = want(c, it, JYAML_SCALAR, what)) != 0)
			goto out;
		if (policy_parse_cidr(it->value, &(*out)[i]) != 0) {
			r = perr(c, it, "%s: '%s' is not an address or CIDR "
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

/* "Sat 01:00-05:00 UTC", "Mon-Fri 09:00-17:00", "daily 22:00-02:00 UTC". */
static int
parse_window(const char *s, struct pwindow *w)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	char buf[128], *tok[4], *save, *t, *dash, *item;
	unsigned h1, m1, h2, m2;
	int n = 0, a, b, d, consumed;
	size_t i;

	memset(w, 0, sizeof(*w));
	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	for (t = strtok_r(buf, " ", &save); t != NULL;
	    t = strtok_r(NULL, " ", &save)) {
		if (n == 3)
			return -1;
		tok[n++] = t;
	}
	if (n < 2 || (n == 3 && strcmp(tok[2], "UTC") != 0))
		return -1;
	if (strcmp(tok[0], "daily") == 0 || strcmp(tok[0], "*") == 0)
		w->days = 0x7f;
	else {
		for (item = strtok_r(tok[0], ",", &save); item != NULL;
		    item = strtok_r(NULL, ",", &save)) {
			dash = strchr(item, '-');
			if (dash != NULL)
				*dash++ = '\0';
			for (a = -1, i = 0; i < 7; i++)
				if (strcmp(item, days[i]) == 0)
					a = (int)i;
			b = a;
			if (dash != NULL)
				for (b = -1, i = 0; i < 7; i++)
					if (strcmp(dash, days[i]) == 0)
						b = (int)i;
			if (a < 0 || b < 0)
				return -1;
			for (d = a;; d = (d + 1) % 7) {
				w->days |= 1u << d;
				if (d == b)
					break;
			}
		}
		if (w->days == 0)
			return -1;
	}
	if (sscanf(tok[1], "%2u:%2u-%2u:%2u%n", &h1, &m1, &h2, &m2,
	    &consumed) != 4 || tok[1][consumed] != '\0' ||
	    strlen(tok[1]) != 11)
		return -1;
	if (h1 > 23 || m1 > 59 || m2 > 59 || h2 > 24 || (h2 == 24 && m2 != 0))
		return -1;
	w->start = h1 * 60 + m1;
	w->end = h2 * 60 + m2;
	if (w->start == w->end)
		return -1;
	return (w->text = strdup(s)) == NULL ? -2 : 0;
}

static int
load_defaults(struct ctx *c, const struct jyaml_node *n)
{
	static const char *const keys[] = { "ttl", "max_ttl", "clock_skew",
	    "mfa_grace", "key_types", "mfa", "pending_ttl", "max_live_certs",
	    NULL };
	struct jpolicy *p = c->p;
	const struct jyaml_node *v;
	unsigned long ml;
	char *end;
	int r;

	if ((r = want(c, n, JYAML_MAP, "defaults")) != 0 ||
	    (r = check_keys(c, n, "defaults", keys)) != 0)
		return r;
	if ((v = jyaml_get(n, "ttl")) != NULL &&
	    (r = get_duration(c, v, "defaults.ttl", &p->ttl)) != 0)
		return r;
	if ((v = jyaml_get(n, "max_ttl")) != NULL &&
	    (r = get_duration(c, v, "defaults.max_ttl", &p->max_ttl)) != 0)
		return r;
	if ((v = jyaml_get(n, "pending_ttl")) != NULL &&
	    (r = get_duration(c, v, "defaults.pending_ttl",
	    &p->pending_ttl)) != 0)
		return r;
	/* Zero is meaningful for these two: no skew, no grace. */
	if ((v = jyaml_get(n, "clock_skew")) != NULL) {
		if ((r = want(c, v, JYAML_SCALAR, "defaults.clock_skew")) != 0)
			return r;
		if (strcmp(v->value, "0s") == 0 || strcmp(v->value, "0") == 0)
			p->clock_skew = 0;
		else if ((r = get_duration(c, v, "defaults.clock_skew",
		    &p->clock_skew)) != 0)
			return r;
		if (p->clock_skew > 3600)
			return perr(c, v, "defaults.clock_skew is at most 1h");
	}
	if ((v = jyaml_get(n, "mfa_grace")) != NULL) {
		if ((r = want(c, v, JYAML_SCALAR, "defaults.mfa_grace")) != 0)
			return r;
		if (strcmp(v->value, "0s") == 0 || strcmp(v->value, "0") == 0)
			p->mfa_grace = 0;
		else if ((r = get_duration(c, v, "defaults.mfa_grace",
		    &p->mfa_grace)) != 0)
			return r;
	}
	if ((v = jyaml_get(n, "key_types")) != NULL &&
	    (r = get_key_types(c, v, "defaults.key_types", &p->key_types)) != 0)
		return r;
	if ((v = jyaml_get(n, "mfa")) != NULL &&
	    (r = get_required(c, v, "defaults.mfa", &p->mfa_required)) != 0)
		return r;
	if ((v = jyaml_get(n, "max_live_certs")) != NULL) {
		if ((r = want(c, v, JYAML_SCALAR, "defaults.max_live_certs")) != 0)
			return r;
		ml = strtoul(v->value, &end, 10);
		if (!v->plain || *end != '\0' || v->value[0] < '1' ||
		    v->value[0] > '9' || ml > LIVE_CERTS_MAX)
			return perr(c, v, "defaults.max_live_certs must be a whole "
			    "number from 1 to %d, not '%s'", LIVE_CERTS_MAX,
			    v->value);
		p->max_live_certs = (unsigned)ml;
	}
	if (p->ttl > p->max_ttl)
		return perr(c, jyaml_get(n, "ttl") != NULL ? jyaml_get(n, "ttl") : n,
		    "defaults.ttl is longer than defaults.max_ttl");
	return 0;
}

static int
cmp_user(const void *a, const void *b)
{
	return strcmp(((const struct puser *)a)->name,
	    ((const struct puser *)b)->name);
}

static int
cmp_role(const void *a, const void *b)
{
	return strcmp(((const struct prole *)a)->name,
	    ((const struct prole *)b)->name);
}

static int
user_keys(struct ctx *c, const struct jyaml_node *kn, const struct jyaml_node *n,
    struct puser *u)
{
	const struct jyaml_node *v;
	size_t i;
	int r, bad = 0;

	if ((v = jyaml_get(n, "keys")) == NULL)
		return perr(c, kn, "user '%s' has no keys", kn->value);
	if ((r = want(c, v, JYAML_SEQ, "keys")) != 0)
		return r;
	if (v->n == 0)
		return perr(c, v, "user '%s' has no keys", kn->value);
	if (v->n > 64)
		return perr(c, v, "user '%s' has too many keys", kn->value);
	if ((u->keys = calloc(v->n, sizeof(*u->keys))) == NULL)
		return JIT_ERR_ALLOC;
	for (i = 0; i < v->n; i++) {
		const struct jyaml_node *kl = v->items[i];

		if (want(c, kl, JYAML_SCALAR, "a key") != 0) {
			bad = 1;
			continue;
		}
		if ((r = jkey_parse_line(kl->value, &u->keys[u->nkeys],
		    NULL)) != 0) {
			(void)perr(c, kl, "user '%s': malformed public key: %s",
			    kn->value, jit_strerror(r));
			bad = 1;
			continue;
		}
		u->nkeys++;
	}
	return bad ? JIT_ERR_POLICY : 0;
}

static int
load_user(struct ctx *c, const struct jyaml_node *kn, const struct jyaml_node *n,
    struct puser *u)
{
	static const char *const keys[] = { "keys", "groups", NULL };
	const struct jyaml_node *v;
	int r;

	if ((r = get_name(c, kn, "user name")) != 0 ||
	    (r = want(c, n, JYAML_MAP, "a user")) != 0)
		return r;
	if ((u->name = strdup(kn->value)) == NULL)
		return JIT_ERR_ALLOC;
	/* Each part is checked even after a problem in another. */
	if ((r = check_keys(c, n, "user", keys)) != 0 &&
	    (r = keep_going(r)) != 0)
		return r;
	if ((r = user_keys(c, kn, n, u)) != 0 && (r = keep_going(r)) != 0)
		return r;
	if ((v = jyaml_get(n, "groups")) != NULL &&
	    (r = get_list(c, v, "groups", check_user_group, &u->groups)) != 0)
		return r;
	return 0;
}

static int
load_users(struct ctx *c, const struct jyaml_node *n)
{
	struct jpolicy *p = c->p;
	size_t i, j;
	int r;

	if ((r = want(c, n, JYAML_MAP, "users")) != 0 ||
	    (r = check_keys(c, n, "users", NULL)) != 0)
		return r;
	if (n->n / 2 > 0 &&
	    (p->users = calloc(n->n / 2, sizeof(*p->users))) == NULL)
		return JIT_ERR_ALLOC;
	for (i = 0; i < n->n / 2; i++) {
		struct puser *u = &p->users[p->nusers];

		r = load_user(c, n->items[2 * i], n->items[2 * i + 1], u);
		if (u->name == NULL) {
			/* Not even a name: nothing to keep. */
			if (r == 0 || (r = keep_going(r)) == 0)
				continue;
			return r;
		}
		p->nusers++;
		for (j = 0; j < u->groups.n; j++)
			if (!pstrv_has(&c->groups, u->groups.v[j]) &&
			    (r = pstrv_add(&c->groups, u->groups.v[j])) != 0)
				return r;
		if (r != 0 && (r = keep_going(r)) != 0)
			return r;
	}
	/* qsort() with a NULL base is undefined even for 0 elements. */
	if (p->nusers > 0)
		qsort(p->users, p->nusers, sizeof(*p->users), cmp_user);
	if (c->groups.n > 0)
		qsort(c->groups.v, c->groups.n, sizeof(char *), cmp_str);
	return 0;
}

const struct puser *
policy_find_user(const struct jpolicy *p, const char *name)
{
	struct puser key;

	if (p == NULL || name == NULL || p->nusers == 0)
		return NULL;
	key.name = (char *)(uintptr_t)name;
	return bsearch(&key, p->users, p->nusers, sizeof(key), cmp_user);
}

const struct prole *
policy_find_role(const struct jpolicy *p, const char *name)
{
	struct prole key;

	if (p == NULL || name == NULL || p->nroles == 0)
		return NULL;
	key.name = (char *)(uintptr_t)name;
	return bsearch(&key, p->roles, p->nroles, sizeof(key), cmp_role);
}

/*
 * The quorum must be reachable by every possible requester: approvers
 * other than the requester must be at least quorum.
 */
static int
check_quorum(struct ctx *c, const struct jyaml_node *qn, struct prole *role)
{
	const struct jpolicy *p = c->p;
	size_t i, j, napprovers = 0, pool;
	int requester_approves;

	for (i = 0; i < p->nusers; i++)
		for (j = 0; j < role->approval_groups.n; j++)
			if (pstrv_has(&p->users[i].groups,
			    role->approval_groups.v[j])) {
				napprovers++;
				break;
			}
	for (i = 0; i < p->nusers; i++) {
		const struct puser *u = &p->users[i];

		for (j = 0; j < role->groups.n; j++)
			if (pstrv_has(&u->groups, role->groups.v[j]))
				break;
		if (j == role->groups.n)
			continue;	/* cannot request the role */
		requester_approves = 0;
		for (j = 0; j < role->approval_groups.n; j++)
			if (pstrv_has(&u->groups, role->approval_groups.v[j]))
				requester_approves = 1;
		pool = napprovers - (size_t)requester_approves;
		if (pool < role->quorum)
			return perr(c, qn, "role '%s': quorum %u cannot be met "
			    "when %s requests it: only %zu approver(s) besides "
			    "the requester", role->name, role->quorum, u->name,
			    pool);
	}
	return 0;
}

/* A list of windows ("Mon-Fri 09:00-17:00 UTC", ...). */
static int
get_windows(struct ctx *c, const struct jyaml_node *v, const char *what,
    struct pwindow **wp, size_t *np)
{
	size_t i;
	int r;

	if ((r = want(c, v, JYAML_SEQ, what)) != 0)
		return r;
	if (v->n == 0)
		return perr(c, v, "%s must not be empty", what);
	if (v->n > 64)
		return perr(c, v, "%s: too many windows", what);
	if ((*wp = calloc(v->n, sizeof(**wp))) == NULL)
		return JIT_ERR_ALLOC;
	for (i = 0; i < v->n; i++) {
		const struct jyaml_node *w = v->items[i];

		if ((r = want(c, w, JYAML_SCALAR, "a window")) != 0)
			return r;
		r = parse_window(w->value, &(*wp)[i]);
		if (r == -2)
			return JIT_ERR_ALLOC;
		if (r != 0)
			return perr(c, w, "window '%s' is not like "
			    "\"Mon-Fri 09:00-17:00 UTC\" (days: Sun..Sat, "
			    "ranges, lists or daily; times HH:MM, UTC)",
			    w->value);
		(*np)++;
	}
	return 0;
}

/* approval.escalate: { after: D, groups: [...] }, before the wait ends. */
static int
load_escalate(struct ctx *c, const struct jyaml_node *n, struct prole *role)
{
	static const char *const keys[] = { "after", "groups", NULL };
	const struct jyaml_node *v;
	int r;

	if ((r = want(c, n, JYAML_MAP, "approval.escalate")) != 0 ||
	    (r = check_keys(c, n, "approval.escalate", keys)) != 0)
		return r;
	if ((v = jyaml_get(n, "after")) == NULL)
		return perr(c, n, "approval.escalate needs after (how long a "
		    "request waits before more people may approve)");
	if ((r = get_duration(c, v, "approval.escalate.after",
	    &role->escalate_after)) != 0)
		return r;
	if (role->escalate_after >= role->pending_ttl)
		return perr(c, v, "approval.escalate.after must be shorter "
		    "than pending_ttl, or it never happens");
	if ((v = jyaml_get(n, "groups")) == NULL)
		return perr(c, n, "approval.escalate needs groups (who may "
		    "approve too from then on)");
	if ((r = get_list(c, v, "approval.escalate.groups",
	    check_known_group, &role->escalate_groups)) != 0)
		return r;
	if (role->escalate_groups.n == 0)
		return perr(c, v, "approval.escalate.groups must not be empty");
	return 0;
}

#define REASON_RE_MAX	512

/*
 * approval.auto: { windows, from, groups, reason_match }: at least one;
 * a request meeting all of those given needs no approver.
 */
static int
load_auto(struct ctx *c, const struct jyaml_node *n, struct prole *role)
{
	static const char *const keys[] = { "windows", "from", "groups",
	    "reason_match", NULL };
	struct pauto *a = &role->autoapp;
	const struct jyaml_node *v;
	char msg[128];
	int r, rc;

	if ((r = want(c, n, JYAML_MAP, "approval.auto")) != 0 ||
	    (r = check_keys(c, n, "approval.auto", keys)) != 0)
		return r;
	if (n->n == 0)
		return perr(c, n, "approval.auto needs at least one condition "
		    "(windows, from, groups, reason_match); without any, the "
		    "role needs no approval at all: remove approval instead");
	a->set = 1;
	if ((v = jyaml_get(n, "windows")) != NULL &&
	    (r = get_windows(c, v, "approval.auto.windows", &a->windows,
	    &a->nwindows)) != 0)
		return r;
	if ((v = jyaml_get(n, "from")) != NULL &&
	    (r = get_cidrs(c, v, "approval.auto.from", &a->from, &a->nfrom,
	    &a->from_text)) != 0)
		return r;
	if ((v = jyaml_get(n, "groups")) != NULL) {
		if ((r = get_list(c, v, "approval.auto.groups",
		    check_known_group, &a->groups)) != 0)
			return r;
		if (a->groups.n == 0)
			return perr(c, v, "approval.auto.groups must not be "
			    "empty");
	}
	if ((v = jyaml_get(n, "reason_match")) != NULL) {
		if ((r = want(c, v, JYAML_SCALAR, "approval.auto.reason_match")) != 0)
			return r;
		if (v->value[0] == '\0' || strlen(v->value) > REASON_RE_MAX)
			return perr(c, v, "approval.auto.reason_match must be a "
			    "regular expression of 1 to %d bytes", REASON_RE_MAX);
		if ((rc = regcomp(&a->reason_re, v->value,
		    REG_EXTENDED | REG_NOSUB)) != 0) {
			regerror(rc, NULL, msg, sizeof(msg));
			return perr(c, v, "approval.auto.reason_match: '%s' is "
			    "not an extended regular expression: %s", v->value,
			    msg);
		}
		a->has_reason_re = 1;
		if ((a->reason_text = strdup(v->value)) == NULL)
			return JIT_ERR_ALLOC;
	}
	return 0;
}

static int
load_approval(struct ctx *c, const struct jyaml_node *n, struct prole *role)
{
	static const char *const keys[] = { "groups", "quorum", "pending_ttl",
	    "pickup_ttl", "remind_after", "escalate", "auto", NULL };
	const struct jyaml_node *v, *qn;
	char *end;
	unsigned long q;
	int r;

	if ((r = want(c, n, JYAML_MAP, "approval")) != 0 ||
	    (r = check_keys(c, n, "approval", keys)) != 0)
		return r;
	role->has_approval = 1;
	role->quorum = 1;
	role->pending_ttl = c->p->pending_ttl;
	if ((v = jyaml_get(n, "groups")) == NULL)
		return perr(c, n, "approval needs groups (who may approve)");
	if ((r = get_list(c, v, "approval.groups", check_known_group,
	    &role->approval_groups)) != 0)
		return r;
	if (role->approval_groups.n == 0)
		return perr(c, v, "approval.groups must not be empty");
	if ((qn = jyaml_get(n, "quorum")) != NULL) {
		if ((r = want(c, qn, JYAML_SCALAR, "approval.quorum")) != 0)
			return r;
		q = strtoul(qn->value, &end, 10);
		if (!qn->plain || *end != '\0' || qn->value[0] < '1' ||
		    qn->value[0] > '9' || q > QUORUM_MAX)
			return perr(c, qn, "approval.quorum must be a whole "
			    "number from 1 to %d, not '%s'", QUORUM_MAX,
			    qn->value);
		role->quorum = (unsigned)q;
	}
	if ((v = jyaml_get(n, "pending_ttl")) != NULL &&
	    (r = get_duration(c, v, "approval.pending_ttl",
	    &role->pending_ttl)) != 0)
		return r;
	/* An approval is picked up within this long, or it lapses. */
	role->pickup_ttl = role->pending_ttl;
	if ((v = jyaml_get(n, "pickup_ttl")) != NULL &&
	    (r = get_duration(c, v, "approval.pickup_ttl",
	    &role->pickup_ttl)) != 0)
		return r;
	if ((v = jyaml_get(n, "remind_after")) != NULL) {
		if ((r = get_duration(c, v, "approval.remind_after",
		    &role->remind_after)) != 0)
			return r;
		if (role->remind_after >= role->pending_ttl)
			return perr(c, v, "approval.remind_after must be shorter "
			    "than pending_ttl, or it never happens");
	}
	if ((v = jyaml_get(n, "escalate")) != NULL &&
	    (r = load_escalate(c, v, role)) != 0)
		return r;
	if ((v = jyaml_get(n, "auto")) != NULL && (r = load_auto(c, v, role)) != 0)
		return r;
	return check_quorum(c, qn != NULL ? qn : n, role);
}

/*
 * The whole list, joined with commas as the audit log records it, must
 * fit one log field (JPOLICY_PRINCIPALS_TEXT_MAX) with the longest user
 * name: refused at load, never cut at issuance.
 */
static int
check_principals_total(struct ctx *c, const struct jyaml_node *n,
    const char *role, const struct pstrv *l)
{
	const char *b;
	size_t i, total = 0;

	for (i = 0; i < l->n; i++) {
		total += strlen(l->v[i]) + (i > 0);
		for (b = strstr(l->v[i], "{user}"); b != NULL;
		    b = strstr(b + 6, "{user}"))
			total += NAME_MAX_LEN - 6;
	}
	if (total > JPOLICY_PRINCIPALS_TEXT_MAX)
		return perr(c, n, "role '%s': the principals can add up to %zu "
		    "bytes, more than the %d the audit log records for a "
		    "certificate", role, total, JPOLICY_PRINCIPALS_TEXT_MAX);
	return 0;
}

/*
 * A role is loaded part by part; a part that fails is reported and the
 * next one is still checked, so `policy check` names every problem.
 */
static int
role_groups(struct ctx *c, const struct jyaml_node *kn, const struct jyaml_node *n,
    struct prole *role)
{
	const struct jyaml_node *v;
	int r;

	if ((v = jyaml_get(n, "groups")) == NULL)
		return perr(c, kn, "role '%s' needs groups (who may request it)",
		    kn->value);
	if ((r = get_list(c, v, "groups", check_known_group,
	    &role->groups)) != 0)
		return r;
	if (role->groups.n == 0)
		return perr(c, v, "role '%s': groups must not be empty",
		    kn->value);
	return 0;
}

static int
role_principals(struct ctx *c, const struct jyaml_node *kn, const struct jyaml_node *n,
    struct prole *role)
{
	const struct jyaml_node *v;
	int r;

	if ((v = jyaml_get(n, "principals")) == NULL)
		return perr(c, kn, "role '%s' needs principals", kn->value);
	if ((r = get_list(c, v, "principals", check_principal,
	    &role->principals)) != 0)
		return r;
	if (role->principals.n == 0)
		return perr(c, v, "role '%s': principals must not be empty (an "
		    "empty list means any principal to sshd)", kn->value);
	if (role->principals.n > JCERT_PRINCIPALS_MAX)
		return perr(c, v, "role '%s': %zu principals, more than the %d "
		    "a certificate holds", kn->value, role->principals.n,
		    JCERT_PRINCIPALS_MAX);
	return check_principals_total(c, v, kn->value, &role->principals);
}

static int
role_ttls(struct ctx *c, const struct jyaml_node *kn, const struct jyaml_node *n,
    struct prole *role)
{
	const struct jyaml_node *v, *ttl_node = NULL;
	int r;

	if ((v = jyaml_get(n, "max_ttl")) != NULL &&
	    (r = get_duration(c, v, "max_ttl", &role->max_ttl)) != 0)
		return r;
	if ((v = jyaml_get(n, "ttl")) != NULL) {
		if ((r = get_duration(c, v, "ttl", &role->ttl)) != 0)
			return r;
		ttl_node = v;
	}
	if (role->ttl > role->max_ttl) {
		if (ttl_node != NULL)
			return perr(c, ttl_node, "role '%s': ttl is longer than "
			    "max_ttl", kn->value);
		/* The default ttl is only a default: cap it to this role. */
		role->ttl = role->max_ttl;
	}
	return 0;
}

static int
role_mfa(struct ctx *c, const struct jyaml_node *kn, const struct jyaml_node *n,
    struct prole *role)
{
	const struct jyaml_node *v;

	(void)kn;
	return (v = jyaml_get(n, "mfa")) != NULL ?
	    get_required(c, v, "mfa", &role->mfa_required) : 0;
}

static int
role_reason(struct ctx *c, const struct jyaml_node *kn, const struct jyaml_node *n,
    struct prole *role)
{
	const struct jyaml_node *v;

	(void)kn;
	return (v = jyaml_get(n, "reason")) != NULL ?
	    get_required(c, v, "reason", &role->reason_required) : 0;
}

static int
role_source(struct ctx *c, const struct jyaml_node *kn, const struct jyaml_node *n,
    struct prole *role)
{
	const struct jyaml_node *v;
	struct pcidr *tmp = NULL;
	size_t ntmp = 0;
	int r;

	(void)kn;
	if ((v = jyaml_get(n, "source_address")) == NULL)
		return 0;
	if (v->type == JYAML_SCALAR && strcmp(v->value, "requester") == 0) {
		role->source_requester = 1;
		return 0;
	}
	if (v->type == JYAML_SCALAR)
		return perr(c, v, "source_address must be 'requester' or a list "
		    "of CIDR networks, not '%s'", v->value);
	r = get_cidrs(c, v, "source_address", &tmp, &ntmp,
	    &role->source_address);
	free(tmp);
	return r;
}

static int
role_force_command(struct ctx *c, const struct jyaml_node *kn,
    const struct jyaml_node *n, struct prole *role)
{
	const struct jyaml_node *v;
	size_t i;
	int r;

	(void)kn;
	if ((v = jyaml_get(n, "force_command")) == NULL)
		return 0;
	if ((r = want(c, v, JYAML_SCALAR, "force_command")) != 0)
		return r;
	if (v->len == 0 || v->len > 4096)
		return perr(c, v, "force_command must not be empty");
	for (i = 0; i < v->len; i++)
		if ((unsigned char)v->value[i] < 0x20)
			return perr(c, v, "force_command contains a control "
			    "character");
	return (role->force_command = strdup(v->value)) == NULL ?
	    JIT_ERR_ALLOC : 0;
}

static int
role_extensions(struct ctx *c, const struct jyaml_node *kn, const struct jyaml_node *n,
    struct prole *role)
{
	const struct jyaml_node *v;
	int r;

	(void)kn;
	if ((v = jyaml_get(n, "extensions")) == NULL)
		return 0;
	if ((r = get_list(c, v, "extensions", check_extension,
	    &role->extensions)) != 0)
		return r;
	if (role->extensions.n > 0)
		qsort(role->extensions.v, role->extensions.n, sizeof(char *),
		    cmp_str);
	return 0;
}

static int
role_key_types(struct ctx *c, const struct jyaml_node *kn, const struct jyaml_node *n,
    struct prole *role)
{
	const struct jyaml_node *v;

	(void)kn;
	return (v = jyaml_get(n, "key_types")) != NULL ?
	    get_key_types(c, v, "key_types", &role->key_types) : 0;
}

static int
role_approval(struct ctx *c, const struct jyaml_node *kn, const struct jyaml_node *n,
    struct prole *role)
{
	const struct jyaml_node *v;
	int r;

	if ((v = jyaml_get(n, "break_glass")) != NULL &&
	    (r = get_bool(c, v, "break_glass", &role->break_glass)) != 0)
		return r;
	if ((v = jyaml_get(n, "approval")) == NULL)
		return 0;
	if (role->break_glass)
		return perr(c, v, "role '%s': a break_glass role is issued "
		    "without approval; remove one of them", kn->value);
	return load_approval(c, v, role);
}

static int
role_windows(struct ctx *c, const struct jyaml_node *kn, const struct jyaml_node *n,
    struct prole *role)
{
	const struct jyaml_node *v;

	(void)kn;
	return (v = jyaml_get(n, "windows")) != NULL ? get_windows(c, v, "windows",
	    &role->windows, &role->nwindows) : 0;
}

static int
role_from(struct ctx *c, const struct jyaml_node *kn, const struct jyaml_node *n,
    struct prole *role)
{
	const struct jyaml_node *v;

	(void)kn;
	return (v = jyaml_get(n, "from")) != NULL ? get_cidrs(c, v, "from",
	    &role->from, &role->nfrom, &role->from_text) : 0;
}

static int
load_role(struct ctx *c, const struct jyaml_node *kn, const struct jyaml_node *n,
    struct prole *role)
{
	static const char *const keys[] = { "groups", "principals", "ttl",
	    "max_ttl", "mfa", "reason", "source_address", "force_command",
	    "extensions", "key_types", "approval", "break_glass", "windows",
	    "from", NULL };
	static int (*const parts[])(struct ctx *, const struct jyaml_node *,
	    const struct jyaml_node *, struct prole *) = { role_groups,
	    role_principals, role_ttls, role_mfa, role_reason, role_source,
	    role_force_command, role_extensions, role_key_types,
	    role_approval, role_windows, role_from };
	size_t i;
	int r;

	if ((r = get_name(c, kn, "role name")) != 0 ||
	    (r = want(c, n, JYAML_MAP, "a role")) != 0)
		return r;
	if ((role->name = strdup(kn->value)) == NULL)
		return JIT_ERR_ALLOC;
	role->ttl = c->p->ttl;
	role->max_ttl = c->p->max_ttl;
	role->mfa_required = c->p->mfa_required;
	role->key_types = c->p->key_types;
	if ((r = check_keys(c, n, "role", keys)) != 0 &&
	    (r = keep_going(r)) != 0)
		return r;
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if ((r = parts[i](c, kn, n, role)) != 0 &&
		    (r = keep_going(r)) != 0)
			return r;
	return 0;
}

static int
load_roles(struct ctx *c, const struct jyaml_node *n)
{
	struct jpolicy *p = c->p;
	size_t i;
	int r;

	if ((r = want(c, n, JYAML_MAP, "roles")) != 0 ||
	    (r = check_keys(c, n, "roles", NULL)) != 0)
		return r;
	if (n->n / 2 > 0 &&
	    (p->roles = calloc(n->n / 2, sizeof(*p->roles))) == NULL)
		return JIT_ERR_ALLOC;
	for (i = 0; i < n->n / 2; i++) {
		struct prole *role = &p->roles[p->nroles];

		r = load_role(c, n->items[2 * i], n->items[2 * i + 1], role);
		if (role->name != NULL)
			p->nroles++;
		if (r != 0 && (r = keep_going(r)) != 0)
			return r;
	}
	if (p->nroles > 0)
		qsort(p->roles, p->nroles, sizeof(*p->roles), cmp_role);
	return 0;
}

static int
load_notify(struct ctx *c, const struct jyaml_node *n)
{
	static const char *const keys[] = { "command", NULL };
	const struct jyaml_node *v;
	struct pstrv argv = { NULL, 0 };
	size_t i;
	int r;

	if ((r = want(c, n, JYAML_MAP, "notify")) != 0 ||
	    (r = check_keys(c, n, "notify", keys)) != 0)
		return r;
	if ((v = jyaml_get(n, "command")) == NULL)
		return perr(c, n, "notify needs a command");
	if (v->type == JYAML_SCALAR)
		r = pstrv_add(&argv, v->value);
	else
		r = get_list(c, v, "notify.command", NULL, &argv);
	if (r != 0)
		goto out;
	if (argv.n == 0 || argv.v[0][0] != '/') {
		r = perr(c, v, "notify.command must start with an absolute "
		    "path (it is run without a shell)");
		goto out;
	}
	if ((c->p->notify_argv = calloc(argv.n + 1, sizeof(char *))) == NULL) {
		r = JIT_ERR_ALLOC;
		goto out;
	}
	for (i = 0; i < argv.n; i++) {
		c->p->notify_argv[i] = argv.v[i];
		argv.v[i] = NULL;
	}
	r = 0;
 out:
	for (i = 0; i < argv.n; i++)
		free(argv.v[i]);
	free(argv.v);
	return r;
}

static void
role_free(struct prole *r)
{
	size_t i;

	free(r->name);
	pstrv_free(&r->groups);
	pstrv_free(&r->principals);
	free(r->source_address);
	free(r->force_command);
	pstrv_free(&r->extensions);
	pstrv_free(&r->approval_groups);
	pstrv_free(&r->escalate_groups);
	for (i = 0; i < r->nwindows; i++)
		free(r->windows[i].text);
	free(r->windows);
	free(r->from);
	free(r->from_text);
	for (i = 0; i < r->autoapp.nwindows; i++)
		free(r->autoapp.windows[i].text);
	free(r->autoapp.windows);
	free(r->autoapp.from);
	free(r->autoapp.from_text);
	pstrv_free(&r->autoapp.groups);
	if (r->autoapp.has_reason_re)
		regfree(&r->autoapp.reason_re);
	free(r->autoapp.reason_text);
}

struct jpolicy *
jpolicy_ref(struct jpolicy *p)
{
	if (p != NULL)
		atomic_fetch_add(&p->refs, 1);
	return p;
}

void
jpolicy_free(struct jpolicy *p)
{
	size_t i, j;

	if (p == NULL || atomic_fetch_sub(&p->refs, 1) != 1)
		return;
	for (i = 0; i < p->nusers; i++) {
		free(p->users[i].name);
		for (j = 0; j < p->users[i].nkeys; j++)
			jkey_free(p->users[i].keys[j]);
		free(p->users[i].keys);
		pstrv_free(&p->users[i].groups);
	}
	free(p->users);
	for (i = 0; i < p->nroles; i++)
		role_free(&p->roles[i]);
	free(p->roles);
	pstrv_free(&p->auditors);
	if (p->notify_argv != NULL) {
		for (i = 0; p->notify_argv[i] != NULL; i++)
			free(p->notify_argv[i]);
		free(p->notify_argv);
	}
	free(p);
}

int
jpolicy_load(const char *name, const unsigned char *yaml, size_t len,
    struct jpolicy **pp, char **errp)
{
	static const char *const keys[] = { "defaults", "users", "roles",
	    "auditors", "notify", NULL };
	struct ctx c;
	struct jyaml_node *root = NULL;
	const struct jyaml_node *v;
	int r;

	if (pp == NULL || (yaml == NULL && len != 0))
		return JIT_ERR_INVALID_ARGUMENT;
	*pp = NULL;
	if (errp != NULL)
		*errp = NULL;
	memset(&c, 0, sizeof(c));
	c.name = name != NULL ? name : "policy";
	c.errp = errp;
	if (len > JPOLICY_FILE_MAX)
		return perr(&c, NULL, "policy is larger than %u bytes",
		    JPOLICY_FILE_MAX);
	if ((c.p = calloc(1, sizeof(*c.p))) != NULL)
		atomic_init(&c.p->refs, 1);
	if (c.p == NULL)
		return JIT_ERR_ALLOC;
	c.p->ttl = 5 * 60;
	c.p->max_ttl = 30 * 60;
	c.p->clock_skew = 30;
	c.p->mfa_grace = 0;
	c.p->max_live_certs = LIVE_CERTS_DEFAULT;
	c.p->pending_ttl = 15 * 60;
	c.p->key_types = KT_ALL;
	c.p->mfa_required = 1;
	if ((r = jyaml_parse(c.name, yaml, len, &root, errp)) != 0) {
		if (r == JIT_ERR_INVALID_FORMAT)
			r = JIT_ERR_POLICY;	/* errp says where */
		goto out;
	}
	if ((r = want(&c, root, JYAML_MAP, "the policy")) != 0 ||
	    ((r = check_keys(&c, root, "policy", keys)) != 0 &&
	    (r = keep_going(r)) != 0))
		goto out;
	/* Every section is checked, whatever the others hold. */
	if ((v = jyaml_get(root, "defaults")) != NULL &&
	    (r = load_defaults(&c, v)) != 0 && (r = keep_going(r)) != 0)
		goto out;
	if ((v = jyaml_get(root, "users")) == NULL)
		(void)perr(&c, root, "the policy needs a 'users' mapping");
	else if ((r = load_users(&c, v)) != 0 && (r = keep_going(r)) != 0)
		goto out;
	if ((v = jyaml_get(root, "roles")) == NULL)
		(void)perr(&c, root, "the policy needs a 'roles' mapping");
	else if ((r = load_roles(&c, v)) != 0 && (r = keep_going(r)) != 0)
		goto out;
	if ((v = jyaml_get(root, "auditors")) != NULL &&
	    (r = get_list(&c, v, "auditors", check_known_group,
	    &c.p->auditors)) != 0 && (r = keep_going(r)) != 0)
		goto out;
	if ((v = jyaml_get(root, "notify")) != NULL && (r = load_notify(&c, v)) !=
	    0 && (r = keep_going(r)) != 0)
		goto out;
	if (c.nerr > 0) {
		r = JIT_ERR_POLICY;
		goto out;
	}
	*pp = c.p;
	c.p = NULL;
	r = 0;
 out:
	jyaml_free(root);
	pstrv_free(&c.groups);
	jpolicy_free(c.p);
	return r;
}

int
jpolicy_load_file(const char *path, struct jpolicy **pp, char **errp)
{
	struct jbuf *b = NULL;
	int r;

	if (pp == NULL || path == NULL)
		return JIT_ERR_INVALID_ARGUMENT;
	*pp = NULL;
	if (errp != NULL)
		*errp = NULL;
	if ((r = jit_file_read(path, JPOLICY_FILE_MAX, 0, &b)) != 0) {
		if (errp != NULL && asprintf(errp, "%s: %s", path,
		    jit_strerror(r)) == -1)
			*errp = NULL;
		return r;
	}
	r = jpolicy_load(path, jbuf_ptr(b), jbuf_len(b), pp, errp);
	jbuf_free(b);
	return r;
}
