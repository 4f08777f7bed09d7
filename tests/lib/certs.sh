# certs.sh: test certificates made at test time with certtool (gnutls-bin).
#
# Source it from a test, then:
#   make_ca DIR                      DIR/ca.pem, DIR/ca.key (self-signed CA)
#   make_intermediate DIR            DIR/ica.pem, DIR/ica.key, signed by the CA
#   make_leaf DIR NAME SAN...        DIR/NAME.pem (leaf, then the intermediate
#                                    when LEAF_ISSUER=ica), DIR/NAME.key (0600)
#   make_leaf_expired DIR NAME SAN...    valid 2019-01-01 .. 2020-01-01 UTC
#   make_leaf_future DIR NAME SAN...     valid 2099-01-01 .. 2100-01-01 UTC
#   make_leaf_expiring DIR NAME DAYS SAN...  expires in DAYS days
#   make_leaf_cn_only DIR NAME CN    no subjectAltName at all, only the CN
#   make_leaf_rsa DIR NAME SAN...    RSA 2048 key instead of ECDSA P-256
#
# Keys are ECDSA P-256 unless LEAF_KEY_TYPE=rsa|ed25519 (keygen stays fast).
# Set these as plain variables (not as "VAR=x make_leaf", whose effect on
# functions POSIX leaves unspecified) and unset them afterwards.
# LEAF_ISSUER=ica signs with the intermediate (call make_intermediate first)
# and appends it to the chain file. A SAN starting with "*." is a wildcard.
# Every function returns non-zero, with certtool's output on stderr, when
# certtool fails. certtool's chatter goes to DIR/certtool.log.

certs_run_certtool() {
	# $1: directory for the log; the rest: certtool arguments
	_crt_dir=$1
	shift
	if ! certtool "$@" >>"$_crt_dir/certtool.log" 2>&1; then
		echo "certs.sh: certtool $* failed:" >&2
		cat "$_crt_dir/certtool.log" >&2
		return 1
	fi
}

certs_genkey() {
	# $1: directory, $2: key file, $3: ecdsa|rsa|ed25519
	case $3 in
	rsa)     set -- "$1" "$2" --key-type=rsa --bits=2048 ;;
	ed25519) set -- "$1" "$2" --key-type=ed25519 ;;
	*)       set -- "$1" "$2" --key-type=ecdsa --curve=secp256r1 ;;
	esac
	_gk_dir=$1
	_gk_out=$2
	shift 2
	(umask 077 && certs_run_certtool "$_gk_dir" --generate-privkey \
		--no-text "$@" --outfile="$_gk_out") || return 1
	chmod 600 "$_gk_out"
}

make_ca() {
	mkdir -p "$1" || return 1
	certs_genkey "$1" "$1/ca.key" ecdsa || return 1
	cat >"$1/ca.tmpl" <<-EOF
	cn = "stsd test CA"
	ca
	cert_signing_key
	activation_date = "2000-01-01 00:00:00 UTC"
	expiration_date = "2200-01-01 00:00:00 UTC"
	EOF
	certs_run_certtool "$1" --generate-self-signed --no-text \
		--load-privkey="$1/ca.key" --template="$1/ca.tmpl" \
		--outfile="$1/ca.pem"
}

make_intermediate() {
	certs_genkey "$1" "$1/ica.key" ecdsa || return 1
	cat >"$1/ica.tmpl" <<-EOF
	cn = "stsd test intermediate CA"
	ca
	path_len = 0
	cert_signing_key
	activation_date = "2000-01-01 00:00:00 UTC"
	expiration_date = "2200-01-01 00:00:00 UTC"
	EOF
	certs_run_certtool "$1" --generate-certificate --no-text \
		--load-privkey="$1/ica.key" --template="$1/ica.tmpl" \
		--load-ca-certificate="$1/ca.pem" \
		--load-ca-privkey="$1/ca.key" --outfile="$1/ica.pem"
}

# certs_leaf DIR NAME KEY-TYPE CN-ONLY VALIDITY-LINES SAN...: the common
# part. VALIDITY-LINES are template lines (dates or days); SANs become
# dns_name lines and the first one the CN. With CN-ONLY "yes" the first SAN
# is only the CN and no subjectAltName is written.
certs_leaf() {
	_l_dir=$1
	_l_name=$2
	_l_keytype=$3
	_l_cn_only=$4
	_l_validity=$5
	shift 5
	_l_issuer=${LEAF_ISSUER:-ca}
	certs_genkey "$_l_dir" "$_l_dir/$_l_name.key" "$_l_keytype" || return 1
	_l_tmpl=$_l_dir/$_l_name.tmpl
	{
		echo "cn = \"$1\""
		if [ "$_l_cn_only" != yes ]; then
			for _l_san in "$@"; do
				echo "dns_name = \"$_l_san\""
			done
		fi
		echo "tls_www_server"
		echo "signing_key"
		echo "encryption_key"
		printf '%s\n' "$_l_validity"
	} >"$_l_tmpl"
	certs_run_certtool "$_l_dir" --generate-certificate --no-text \
		--load-privkey="$_l_dir/$_l_name.key" --template="$_l_tmpl" \
		--load-ca-certificate="$_l_dir/$_l_issuer.pem" \
		--load-ca-privkey="$_l_dir/$_l_issuer.key" \
		--outfile="$_l_dir/$_l_name.pem" || return 1
	if [ "$_l_issuer" != ca ]; then
		cat "$_l_dir/$_l_issuer.pem" >>"$_l_dir/$_l_name.pem" || return 1
	fi
}

make_leaf() {
	_ml_dir=$1
	_ml_name=$2
	shift 2
	certs_leaf "$_ml_dir" "$_ml_name" "${LEAF_KEY_TYPE:-ecdsa}" no \
		"expiration_days = 90" "$@"
}

# certs_leaf_dated DIR NAME FROM-DAY UNTIL-DAY SAN...: valid FROM-DAY ..
# UNTIL-DAY (YYYY-MM-DD, midnight UTC).
certs_leaf_dated() {
	_ld_dir=$1
	_ld_name=$2
	_ld_from=$3
	_ld_until=$4
	shift 4
	certs_leaf "$_ld_dir" "$_ld_name" "${LEAF_KEY_TYPE:-ecdsa}" no \
		"activation_date = \"$_ld_from 00:00:00 UTC\"
expiration_date = \"$_ld_until 00:00:00 UTC\"" "$@"
}

make_leaf_expired() {
	_ml_dir=$1
	_ml_name=$2
	shift 2
	certs_leaf_dated "$_ml_dir" "$_ml_name" 2019-01-01 2020-01-01 "$@"
}

make_leaf_future() {
	_ml_dir=$1
	_ml_name=$2
	shift 2
	certs_leaf_dated "$_ml_dir" "$_ml_name" 2099-01-01 2100-01-01 "$@"
}

make_leaf_expiring() {
	_ml_dir=$1
	_ml_name=$2
	_ml_days=$3
	shift 3
	certs_leaf "$_ml_dir" "$_ml_name" "${LEAF_KEY_TYPE:-ecdsa}" no \
		"expiration_days = $_ml_days" "$@"
}

make_leaf_cn_only() {
	certs_leaf "$1" "$2" "${LEAF_KEY_TYPE:-ecdsa}" yes \
		"expiration_days = 90" "$3"
}

make_leaf_rsa() {
	_ml_dir=$1
	_ml_name=$2
	shift 2
	certs_leaf "$_ml_dir" "$_ml_name" rsa no "expiration_days = 90" "$@"
}
