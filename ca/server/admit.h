/*
 * caps.h: how many sessions the service holds, in all and per source
 * address, and of them how many are not authenticated yet (sshd's
 * MaxStartups and PerSourceMaxStartups): a flood of silent connections
 * from a few addresses does not keep others out.  Thread-safe.
 */
#ifndef JIT_CA_ADMIT_H
#define JIT_CA_ADMIT_H

struct admit;
struct jstore;

#define ADMIT_MAX_SESSIONS	512
#define ADMIT_MAX_PER_ADDRESS	256	/* a NATed office is one address */
#define ADMIT_MAX_UNAUTH		256
#define ADMIT_MAX_UNAUTH_PER_ADDRESS	64

#define ADMIT_KEY_MAX		64

/*
 * What the per-address caps count addr under: an IPv4 address as it is, an
 * IPv4-mapped IPv6 address as its IPv4 address, any other IPv6 address as
 * its /64 ("2001:db8:1:2::/64"): one host may hold a whole /64.
 */
void admit_addr_key(const char *addr, char key[ADMIT_KEY_MAX]);

/* The session count is told to st (jstore_set_clients, when not NULL) as it
 * changes. */
struct admit *admit_new(struct jstore *st);
void admit_free(struct admit *c);

/* Admits a new, not yet authenticated connection from addr: 1, or 0. */
int admit_conn(struct admit *c, const char *addr);
/* The connection from addr authenticated: it leaves the pre-auth caps. */
void admit_authed(struct admit *c, const char *addr);
/* The connection from addr ended (authed: whether admit_authed() ran). */
void admit_release(struct admit *c, const char *addr, int authed);
/* The number of sessions now. */
unsigned admit_sessions(struct admit *c);
/* Waits until no session is left (SIGTERM drain). */
void admit_drain(struct admit *c);

#endif /* JIT_CA_ADMIT_H */
