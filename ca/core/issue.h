/*
 * issue.h: the one issuance path (offline `sign` and the service): serial
 * from the store, certificate from the policy's decision, events committed
 * before the certificate is handed to anybody.
 */
#ifndef JIT_CA_ISSUE_H
#define JIT_CA_ISSUE_H

struct jcert;
struct jkey;
struct jpolicy_decision;
struct jstore;

/* The approver an issuance by approval.auto records. */
#define CA_AUTO_APPROVER	"policy:auto"

/*
 * Issues a user certificate for key as the decision says: serial, key id
 * "jit:<user>:<role>:<serial>", signature by ca, then "issue" (and
 * "break-glass") events committed durably.  With a request id, the claim
 * of the approved request and the events are one commit: JIT_ERR_REQUEST_
 * DECIDED (already issued, or not approved), JIT_ERR_REQUEST_EXPIRED
 * (pickup window passed), JIT_ERR_USER_LOCKED and JIT_ERR_CERT_CAP are
 * among its errors.  Prints nothing: the caller says why (no certificate
 * is handed out unless it is on record).
 */
int ca_issue(const struct jkey *ca, struct jstore *st, const char *user,
    const char *role, const struct jkey *key,
    const struct jpolicy_decision *d, const char *source, const char *reason,
    const char *request_id, const char *approvers, struct jcert **cp);

/*
 * "a,b" of the decision's principals (groups 0) or approver groups
 * (groups 1), in full: a new string, NULL when out of memory.
 */
char *ca_join_decision(const struct jpolicy_decision *d, int groups);

/*
 * Prints the certificate line, or writes it to outpath (-o FILE, as in
 * every command: where the output goes), 0644.  Callers run
 * ca_output_check() on outpath first, before anything is issued.
 */
int ca_output_cert(const char *outpath, const char *line);
/*
 * 0 when outpath (NULL: standard output) may take a certificate: a file
 * there that does not hold one is not replaced (an old `-o KEY.pub` habit
 * must not overwrite the key).  Checked before anything is issued or
 * recorded.  Prints why not.
 */
int ca_output_check(const char *outpath);

#endif /* JIT_CA_ISSUE_H */
