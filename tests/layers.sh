#!/bin/sh
# layers.sh: the build enforces the layering (Makefile.am, check-layers).
# A core module that reaches into GnuTLS, and one that opens a file, must
# each fail the check; the real libraries pass it.
. "$top_srcdir/tests/lib/common.sh"

command -v ar >/dev/null 2>&1 || t_skip_all "ar is not installed"
unset MAKEFLAGS MFLAGS MAKELEVEL
make_check() {  # make_check TARGET [VAR=VALUE...]: output in $T/make.log
	${MAKE:-make} -s -C "$top_builddir" "$@" >"$T/make.log" 2>&1
}

make_check check-layers
t_ok $? "every layer links with only what it may use"

# tampered LIB SOURCE: a copy of LIB with one more object made from SOURCE.
tampered() {
	cp "$top_builddir/$1" "$T/$1"
	printf '%s\n' "$2" >"$T/reach.c"
	${CC:-cc} -c -o "$T/reach.o" "$T/reach.c" &&
		ar r "$T/$1" "$T/reach.o" 2>/dev/null
}

tampered libcore.a '#include <gnutls/gnutls.h>
int core_reach(void) { return gnutls_global_init(); }'
make_check check-layer-core check_layer_core="$T/libcore.a"
st=$?
t_is "$st" 2 "a core module calling GnuTLS fails the layer check"
t_like "$(cat "$T/make.log")" "undefined reference to .gnutls_global_init" \
	"... with the undefined reference"

tampered libcore.a '#include <fcntl.h>
int core_reach(const char *p) { return open(p, O_RDONLY); }'
make_check check-core-pure check_layer_core="$T/libcore.a"
st=$?
t_is "$st" 2 "a core module calling open() fails the purity check"
t_like "$(cat "$T/make.log")" "must not do I/O" "... and says why"

tampered libconf.a 'struct http_server;
void http_server_stop(struct http_server *s, unsigned g);
void conf_reach(void) { http_server_stop(0, 0); }'
make_check check-layer-conf check_layer_conf="$T/libconf.a"
st=$?
t_is "$st" 2 "the conf layer calling the serve layer fails the layer check"
t_like "$(cat "$T/make.log")" "undefined reference to .http_server_stop" \
	"... with the undefined reference"

t_done
