#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "log.h"
#include "priv.h"

/* Looks up the target ids. The group defaults to the user's primary group. */
static int priv_lookup(const struct conf *c, uid_t *uid, gid_t *gid)
{
	struct passwd *pw;
	struct group *gr;

	errno = 0;
	pw = getpwnam(c->user);
	if (pw == NULL) {
		log_warnx("user \"%s\" does not exist%s%s", c->user,
		          errno ? ": " : "", errno ? strerror(errno) : "");
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (c->group != NULL) {
		errno = 0;
		gr = getgrnam(c->group);
		if (gr == NULL) {
			log_warnx("group \"%s\" does not exist", c->group);
			return -1;
		}
		*gid = gr->gr_gid;
	}
	if (*uid == 0) {
		log_warnx("user \"%s\" is root; name an unprivileged user", c->user);
		return -1;
	}
	return 0;
}

/* After the switch no way back may remain: check it rather than trust it. */
static bool priv_verify(uid_t uid, gid_t gid)
{
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;

	if (getresuid(&ruid, &euid, &suid) != 0 ||
	    getresgid(&rgid, &egid, &sgid) != 0)
		return false;
	return ruid == uid && euid == uid && suid == uid &&
	       rgid == gid && egid == gid && sgid == gid &&
	       setuid(0) != 0 && getgroups(0, NULL) <= 1;
}

int priv_drop(const struct conf *c)
{
	uid_t uid;
	gid_t gid;

	if (geteuid() != 0)
		return 0;
	if (c->user == NULL) {
		if (c->allow_root) {
			log_warnx("serving as root (allow_root: true)");
			return 0;
		}
		log_warnx("started as root with no \"user:\" configured; "
		          "set user: (e.g. stsd) or allow_root: true");
		return -1;
	}
	if (priv_lookup(c, &uid, &gid) != 0)
		return -1;
	if (setgroups(1, &gid) != 0 || setresgid(gid, gid, gid) != 0 ||
	    setresuid(uid, uid, uid) != 0) {
		log_warn("cannot switch to user %s", c->user);
		return -1;
	}
	if (!priv_verify(uid, gid)) {
		log_warnx("privileges were not fully dropped");
		return -1;
	}
	log_info("running as user %s (uid %u, gid %u)", c->user,
	         (unsigned)uid, (unsigned)gid);
	return 0;
}
