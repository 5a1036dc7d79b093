/*
 * host.h: jit-ssh-host, the program on recorded hosts: `record` (sshd runs
 * it as the session's command and records the session as asciicast v2
 * into the spool, ending it when the certificate does), `ship` (sends the
 * spool to the CA over SSH) and `krl-refresh` (fetches the CA's KRL).
 */
#ifndef JIT_HOST_H
#define JIT_HOST_H

#include <stddef.h>
#include <stdint.h>

#define HOST_CONFIG_DEFAULT	"/etc/jit-ssh/host.yaml"
#define HOST_CONFIG_MAX		(64 * 1024)
#define HOST_VALUE_MAX		4096
#define HOST_SPOOL_USER		"jit-ssh-rec"
#define HOST_CHUNK_MAX		(1024 * 1024)	/* bytes a ship upload carries */

/* /etc/jit-ssh/host.yaml (public interface: docs/OPERATIONS.md). */
struct host_config {
	char *path;		/* the file read, or NULL (defaults only) */
	char *ca;		/* "h:p" or "h1:p,h2:p" */
	char *ca_host_key;	/* a public key line */
	char *host_key;		/* the private key `ship` authenticates with */
	char *name;		/* the host's name at the CA */
	char *user_ca_keys;
	char *krl;
	char *spool;
	uint64_t spool_max;	/* bytes */
	int record_input;
	uint64_t warn_before;	/* seconds */
	int fail_open;
};

/*
 * Reads the configuration: path, else $JIT_SSH_HOST_CONFIG, else
 * HOST_CONFIG_DEFAULT; a missing default file gives the defaults.  The
 * file must be root's (or the caller's) and not writable by others.
 * Says what is wrong on stderr and returns -1.
 */
int host_config_load(const char *path, struct host_config *cfg);
int host_config_parse(const char *path, const unsigned char *text,
    size_t len, struct host_config *cfg);
void host_config_free(struct host_config *cfg);

/* "jit-ssh-host: MESSAGE" on stderr; returns ret (for `return say(...)`). */
int host_say(int ret, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

int host_record(const struct host_config *cfg);
int host_ship(const struct host_config *cfg, int once);
int host_krl_refresh(const struct host_config *cfg);

#endif /* JIT_HOST_H */
