"""Apache 2.4 (Debian apache2) hosting the service from a shipped recipe in conf/hosting/: the
test gives Apache a scaffold of its own (port, logs, pid, the modules a Debian a2enmod would
load) and includes the recipe, or for shared hosting a user's folder with the shipped htaccess."""

import os
import shutil
import tempfile

from hosting import CONSOLE, HOSTING, render
from server import FCGI, Server

__all__ = ["ApacheServer", "FcgidServer", "CgidServer", "SharedHostServer"]

MODS = "/usr/lib/apache2/modules"


def _sanitizer_env(directive):
    """Lines that hand the sanitizer build its options: FcgidInitialEnv for FastCGI processes,
    SetEnv for CGI ones (a CGI program gets none of Apache's own environment)."""
    log = os.environ.get("SANITIZER_LOG")
    if not log:
        return ""
    return ('%s ASAN_OPTIONS "log_path=%s/asan:detect_leaks=1"\n'
            '%s UBSAN_OPTIONS "log_path=%s/ubsan:print_stacktrace=1"\n' % (directive, log,
                                                                          directive, log))


class ApacheServer(Server):
    """Subclasses set MODULES (beside the scaffold's), ENV_DIRECTIVE, and site()."""
    MODULES = ()
    ENV_DIRECTIVE = "SetEnv"

    def site(self):
        raise NotImplementedError

    def host_command(self):
        www = os.path.join(self.rundir, "www")
        os.makedirs(www, exist_ok=True)
        mods = ("mpm_event", "authz_core", "alias", "mime", "dir", "env") + tuple(self.MODULES)
        lines = ['ServerRoot "%s"' % self.rundir,
                 "ServerName 127.0.0.1",
                 "Listen 127.0.0.1:%d" % self.port,
                 'PidFile "%s/apache.pid"' % self.rundir,
                 'ErrorLog "%s/error.log"' % self.rundir,
                 "TypesConfig /dev/null",
                 'DocumentRoot "%s"' % www,
                 '<Directory "%s">\n    Require all granted\n</Directory>' % www]
        lines += ["LoadModule %s_module %s/mod_%s.so" % (m, MODS, m) for m in mods]
        if "fcgid" in mods:
            lines += ['FcgidIPCDir "%s/fcgid"' % self.rundir,
                      'FcgidProcessTableFile "%s/fcgid.shm"' % self.rundir,
                      "FcgidMaxProcessesPerClass 4"]
        if "cgid" in mods:
            lines.append('ScriptSock "%s/cgid.sock"' % self.rundir)
        text = "\n".join(lines) + "\n" + _sanitizer_env(self.ENV_DIRECTIVE) + self.site()
        path = os.path.join(self.rundir, "apache.conf")
        with open(path, "w") as f:
            f.write(text)
        return ["apache2", "-f", path, "-DFOREGROUND"]


class FcgidServer(ApacheServer):
    MODULES = ("fcgid",)
    ENV_DIRECTIVE = "FcgidInitialEnv"

    def site(self):
        return render("apache-fcgid.conf", FCGI=FCGI, CONF=self.conf_path(), CONSOLE=CONSOLE)


class CgidServer(ApacheServer):
    MODULES = ("cgid",)

    def site(self):
        return render("apache-cgid.conf", FCGI=FCGI, CONF=self.conf_path(), CONSOLE=CONSOLE)


class SharedHostServer(ApacheServer):
    """A shared host: a vhost with AllowOverride All over users' folders, reached either as
    /~user/<sub>/ (mod_userdir) or as a subfolder of the document root. The "user" copies
    follow.fcgi, its follow.conf and the shipped htaccess (as .htaccess) into one folder, as the
    README says, and the API answers at <that folder's URL>v4/... .

    SharedHostServer(handler="fcgid"|"cgi", place="userdir"|"subfolder", **conf overrides)"""

    def __init__(self, handler="fcgid", place="userdir", **kw):
        Server.__init__(self, **kw)
        self.handler, self.place = handler, place
        self.MODULES = ("rewrite", "userdir") + (("fcgid",) if handler == "fcgid" else ("cgid",))
        self.ENV_DIRECTIVE = "FcgidInitialEnv" if handler == "fcgid" else "SetEnv"

    def conf_path(self):
        return os.path.join(self.app_dir(), "follow.conf")

    def app_dir(self):
        if self.place == "userdir":
            return os.path.join(self.rundir, "home", "ann", "public_html", "api")
        return os.path.join(self.rundir, "www", "sub")

    def app_url(self):
        return "/~ann/api/" if self.place == "userdir" else "/sub/"

    def start(self, wait_ready=True):
        if self.rundir is None:
            self.rundir = tempfile.mkdtemp(prefix="follow-t-")
        app = self.app_dir()
        os.makedirs(app, exist_ok=True)
        # What the user uploads: the program, and the shipped htaccess as .htaccess.
        shutil.copy2(FCGI, os.path.join(app, "follow.fcgi"))
        shutil.copy2(os.path.join(HOSTING, "htaccess"), os.path.join(app, ".htaccess"))
        os.chmod(os.path.join(app, "follow.fcgi"), 0o755)
        self.base = self.app_url() + "v4/"
        Server.start(self, wait_ready)

    def site(self):
        home = os.path.join(self.rundir, "home")
        return ("UserDir %s/*/public_html\n"
                '<Directory "%s">\n    AllowOverride All\n    Require all granted\n</Directory>\n'
                '<Directory "%s/*/public_html">\n    AllowOverride All\n'
                "    Require all granted\n</Directory>\n"
                % (home, os.path.join(self.rundir, "www"), home))
