#!/usr/bin/env python3
"""The service behind Apache 2.4 mod_proxy_fcgi, through the shipped recipe
conf/hosting/apache-proxy-fcgi.conf, in front of a standalone FastCGI pool (scripts/pool.sh:
spawn-fcgi + multiwatch): one call of each API family; the path, query string and body reach the
service unchanged; errors, oversized bodies included, answered by the service itself."""
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from harness import *  # noqa: E402,F401,F403
from hosting import CONSOLE, render_to  # noqa: E402
from hostchecks import check_console_files, check_errors, check_every_family  # noqa: E402
from pool import PoolServer  # noqa: E402

MODS = "/usr/lib/apache2/modules"

# Scaffolding as scripts/apache-conf.sh's, with mod_proxy_fcgi instead of mod_fcgid. No
# mod_unixd: started as root, Apache keeps its children root, who may enter the run directory.
WRAPPER = """\
ServerRoot "%(rundir)s"
ServerName 127.0.0.1
Listen 127.0.0.1:%(port)d
PidFile "%(rundir)s/apache.pid"
ErrorLog "%(rundir)s/error.log"
LoadModule mpm_event_module %(mods)s/mod_mpm_event.so
LoadModule authz_core_module %(mods)s/mod_authz_core.so
LoadModule proxy_module %(mods)s/mod_proxy.so
LoadModule proxy_fcgi_module %(mods)s/mod_proxy_fcgi.so
LoadModule alias_module %(mods)s/mod_alias.so
LoadModule mime_module %(mods)s/mod_mime.so
LoadModule dir_module %(mods)s/mod_dir.so
TypesConfig /dev/null
DocumentRoot "%(rundir)s/www"
Include "%(rundir)s/site.conf"
"""


class ApacheProxyServer(PoolServer):
    def front_command(self):
        rd = self.rundir
        os.makedirs(os.path.join(rd, "www"), exist_ok=True)
        render_to(os.path.join(rd, "site.conf"), "apache-proxy-fcgi.conf",
                  SOCKET=self.socket_path(), CONSOLE=CONSOLE)
        conf = os.path.join(rd, "apache.conf")
        with open(conf, "w") as f:
            f.write(WRAPPER % {"rundir": rd, "port": self.port, "mods": MODS})
        return ["apache2", "-f", conf, "-DFOREGROUND"]


def test_every_family(srv):
    check_every_family(srv, "apx_")


def test_path_and_query_unchanged(srv):
    """The command is found exactly (nothing may follow it; a percent-encoded path is decoded
    once), and QUERY_STRING arrives as sent: the UserSig's '*' and the digits of random pass
    percent-encoded or not."""
    srv.import_accounts(["apx_q"])
    body = {"CheckItem": [{"UserID": "apx_q"}]}
    want = [("apx_q", OK, {"AccountStatus": "Imported"})]
    keys = ["UserID", "ResultCode", "ResultInfo", "AccountStatus"]
    sig = usersig(ADMIN)
    check("*" in sig or "-" in sig or "_" in sig, None, "a UserSig with a mapped character")
    for q in ("sdkappid=%s&identifier=%s&usersig=%s&random=%%31%%32&contenttype=json"
              % (SDKAPPID, ADMIN, sig),
              "sdkappid=%s&identifier=%s&usersig=%s&random=12&contenttype=json"
              % (SDKAPPID, ADMIN, urllib.parse.quote(sig, safe=""))):
        expect_results(srv.call("im_open_login_svc/account_check", body, query_overrides=q),
                       "ResultItem", want, keys=keys, idkey_name="UserID")
        expect_results(srv.call("im_open_login_svc/%61ccount_check", body, query_overrides=q),
                       "ResultItem", want, keys=keys, idkey_name="UserID")
    r = srv.call("im_open_login_svc/account_check/x", body)
    expect_fail(r, UNKNOWN_COMMAND)
    check(r["ErrorInfo"] == "no API at /v4/im_open_login_svc/account_check/x", r,
          "the service sees the whole path once")


def test_console_files(srv):
    check_console_files(srv)


def test_errors_answered_by_the_service(srv):
    check_errors(srv)


if __name__ == "__main__":
    run_tests(globals(), server_class=ApacheProxyServer)
