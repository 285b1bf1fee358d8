"""Hosts that start follow.fcgi as plain CGI, one process per call: lighttpd's mod_cgi, from the
shipped recipe conf/hosting/lighttpd-cgi.conf. Also the program a recipe should name: the
responder itself, or under the sanitizer build a wrapper that gives it the sanitizer options,
since a CGI host hands its programs none of its own environment."""

import os

from hosting import render
from server import FCGI, Server

__all__ = ["cgi_program", "LighttpdCgiServer"]


def cgi_program(rundir):
    """The path a host should run: FCGI, or (SANITIZER_LOG set) a wrapper that sets
    ASAN_OPTIONS/UBSAN_OPTIONS and execs it."""
    log = os.environ.get("SANITIZER_LOG")
    if not log:
        return FCGI
    path = os.path.join(rundir, "follow-san.cgi")
    if os.path.exists(path):
        return path  # rewriting it while another thread execs it fails with ETXTBSY
    tmp = "%s.%d.tmp" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write("#!/bin/sh\n"
                "ASAN_OPTIONS=log_path=%s/asan:detect_leaks=1 "
                "UBSAN_OPTIONS=log_path=%s/ubsan:print_stacktrace=1 exec %s \"$@\"\n"
                % (log, log, FCGI))
    os.chmod(tmp, 0o755)
    os.rename(tmp, path)
    return path


class LighttpdCgiServer(Server):
    """lighttpd with mod_cgi: the shipped recipe inside a scaffold of port, logs and pid file."""

    def host_command(self):
        os.makedirs(os.path.join(self.rundir, "www"), exist_ok=True)
        scaffold = ('server.document-root = "%s/www"\n'
                    'server.bind = "127.0.0.1"\n'
                    'server.port = %d\n'
                    'server.errorlog = "%s/error.log"\n'
                    'server.pid-file = "%s/lighttpd.pid"\n'
                    'server.max-connections = 1024\n'
                    'server.stream-request-body = 2\n'
                    % (self.rundir, self.port, self.rundir, self.rundir))
        recipe = render("lighttpd-cgi.conf", FCGI=cgi_program(self.rundir), CONF=self.conf_path())
        path = os.path.join(self.rundir, "lighttpd.conf")
        with open(path, "w") as f:
            f.write(scaffold + recipe)
        return ["lighttpd", "-D", "-f", path]
