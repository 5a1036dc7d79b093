/*
 * caps.h: how many sessions the service holds, in all and per source
 * address, and of them how many are not authenticated yet (sshd's
 * MaxStartups and PerSourceMaxStartups): a flood of silent connections
 * from a few addresses does not keep others out.  Thread-safe.
 */
#ifndef JIT_CA_CAPS_H
#define JIT_CA_CAPS_H

struct caps;
struct jstore;

#define CAPS_MAX_SESSIONS	512
#define CAPS_MAX_PER_ADDRESS	256	/* a NATed office is one address */
#define CAPS_MAX_UNAUTH		256
#define CAPS_MAX_UNAUTH_PER_ADDRESS	64

#define CAPS_KEY_MAX		64

/*
 * What the per-address caps count addr under: an IPv4 address as it is, an
 * IPv4-mapped IPv6 address as its IPv4 address, any other IPv6 address as
 * its /64 ("2001:db8:1:2::/64"): one host may hold a whole /64.
 */
void caps_addr_key(const char *addr, char key[CAPS_KEY_MAX]);

/* The session count is told to st (jstore_set_clients, when not NULL) as it
 * changes. */
struct caps *caps_new(struct jstore *st);
void caps_free(struct caps *c);

/* Admits a new, not yet authenticated connection from addr: 1, or 0. */
int caps_admit(struct caps *c, const char *addr);
/* The connection from addr authenticated: it leaves the pre-auth caps. */
void caps_authed(struct caps *c, const char *addr);
/* The connection from addr ended (authed: whether caps_authed() ran). */
void caps_release(struct caps *c, const char *addr, int authed);
/* The number of sessions now. */
unsigned caps_sessions(struct caps *c);
/* Waits until no session is left (SIGTERM drain). */
void caps_drain(struct caps *c);

#endif /* JIT_CA_CAPS_H */
