/* nodelay.c - TCP_NODELAY on the Replication Manager's sockets.
 *
 * Berkeley DB 5.3 never sets it. A commit sends its log records to the replicas and waits for
 * their acknowledgement: a small write after a small write, which Nagle's algorithm holds back
 * until the peer's delayed ACK comes, about 40 ms later. So a quorum commit took ~45 ms. The
 * library is linked from its static archive, so the linker sends its calls to connect() and
 * accept() here (-Wl,--wrap, see the Makefile), and every TCP socket it makes goes out with
 * Nagle off. Nothing else in the program makes TCP sockets but libcurl, which sets it itself. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

int __real_connect(int fd, const struct sockaddr *addr, socklen_t len);
int __real_accept(int fd, struct sockaddr *addr, socklen_t *len);
int __wrap_connect(int fd, const struct sockaddr *addr, socklen_t len);
int __wrap_accept(int fd, struct sockaddr *addr, socklen_t *len);

static int is_tcp(const struct sockaddr *addr)
{
	return addr && (addr->sa_family == AF_INET || addr->sa_family == AF_INET6);
}

static void nodelay(int fd)
{
	int one = 1, saved = errno;
	/* A failure only leaves the delay in: nothing to report per socket. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	errno = saved;
}

int __wrap_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	/* Before the connection is made: nothing can be sent with the delay in. */
	if (is_tcp(addr))
		nodelay(fd);
	return __real_connect(fd, addr, len);
}

int __wrap_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	int ret = __real_accept(fd, addr, len);
	if (ret >= 0 && is_tcp(addr))
		nodelay(ret);
	return ret;
}
