"""gunicorn's sync worker, woken alone when a connection comes, keeping a connection open while nobody
else needs it.

gunicorn's sync workers all wait on the one listening socket with select(), so
each new connection wakes every idle worker, and all but one find nothing to
accept.  This worker waits with epoll and EPOLLEXCLUSIVE (Linux 4.5 and
later), with which the kernel wakes one waiting worker per connection; where
that flag does not exist it waits as gunicorn's does.

gunicorn's sync worker also closes every connection after one response, so a
client sending queries one after another connects anew for each.  This worker
keeps the connection open (HTTP/1.1 keep-alive) while it waits for that
client's next request, but only while nobody else needs it: an answer given
while another connection waits closes its connection, a new connection taken by
this worker in the meantime ends the idle one, and so do gunicorn's
``keepalive`` seconds (2) of silence.  A worker still serves one connection at a
time, so a query past its time limit still ends only its own client's
connection (runtime.py).

gunicorn's parser and response read its settings by name about 25 times a
request, each a lookup in its settings table; this worker hands them a copy
that keeps each value once read.  What each of these saves is measured in
bench/README.md.

It overrides gunicorn 27's SyncWorker (run, wait, handle, handle_request) and
calls its parser's ``finish_body(deadline, max_bytes)``: pyproject.toml pins
gunicorn to 27.x, and tests/server/gunicorn/test_worker.py checks those
signatures.
"""

from __future__ import annotations

import errno
import os
import select
import ssl
import sys
import time
from datetime import datetime

from gunicorn import http, util
from gunicorn.http import wsgi
from gunicorn.workers.sync import SyncWorker

# A request body the app did not read (an error answered first) is read and dropped to keep the connection,
# if it is no longer than this and comes within this time; else the connection closes.
DRAIN_BYTES, DRAIN_SECONDS = 64 * 1024, 0.5


class Config:
    """gunicorn's settings ``cfg``, each value kept once read.  A worker's settings never change: a reload
    starts new workers."""

    def __init__(self, cfg):
        self._cfg = cfg

    def __getattr__(self, name: str):
        value = self.__dict__[name] = getattr(self._cfg, name)
        return value


class Worker(SyncWorker):
    _poll = None

    def run(self) -> None:
        self.config = Config(self.cfg)
        self.wait_alone()
        super().run()

    def wait_alone(self) -> None:
        """Wait from now on in an epoll that is woken alone by a connection, if this system has one."""
        if hasattr(select, "EPOLLEXCLUSIVE"):
            self._poll = select.epoll()
            for listener in self.sockets:
                self._poll.register(listener.fileno(), select.EPOLLIN | select.EPOLLEXCLUSIVE)
            self._poll.register(self.PIPE[0], select.EPOLLIN)  # gunicorn's wake-up pipe (signals)
            self._ready = {listener.fileno(): listener for listener in self.sockets} | {self.PIPE[0]: self.PIPE[0]}

    def wait(self, timeout: float):
        """The listeners (and the wake-up pipe) that are ready within ``timeout`` seconds, as SyncWorker.wait."""
        if self._poll is None:
            return super().wait(timeout)
        self.notify()
        ready = [self._ready[fd] for fd, _ in self._poll.poll(timeout) if fd in self._ready]
        if self.PIPE[0] in ready:
            os.read(self.PIPE[0], 1)
        return ready

    def handle(self, listener, client, addr) -> None:
        """Serve ``client``, and after it the connection that ended its wait for a next request, if any."""
        connection = (listener, client, addr)
        while connection is not None:
            connection = self.serve(*connection)

    def serve(self, listener, client, addr):
        """Serve the requests of one connection, as SyncWorker.handle serves its one request; returns the
        (listener, socket, address) of a connection this worker took while ``client`` was idle, or None."""
        req, after, idle = None, None, False
        try:
            parser = http.get_parser(self.config, client, addr)
            while True:
                req = next(parser)
                if not self.handle_request(listener, req, client, addr):
                    break
                if not parser.finish_body(deadline=time.monotonic() + DRAIN_SECONDS, max_bytes=DRAIN_BYTES):
                    break
                waited = self.next_request(client)
                if waited is not True:
                    after, idle = waited, True  # nothing unanswered on it: closed at once, not drained
                    break
                req = None
        except http.errors.NoMoreData as e:
            self.log.debug("Ignored premature client disconnection. %s", e)
        except StopIteration as e:
            self.log.debug("Closing connection. %s", e)
        except ssl.SSLError as e:
            if e.args[0] == ssl.SSL_ERROR_EOF:
                self.log.debug("ssl connection closed")
                client.close()
            else:
                self.log.debug("Error processing SSL request.")
                self.handle_error(req, client, addr, e)
        except OSError as e:
            if e.errno not in (errno.EPIPE, errno.ECONNRESET, errno.ENOTCONN):
                self.log.exception("Socket error processing request.")
            else:
                self.log.debug("Ignoring %s", errno.errorcode.get(e.errno, e.errno))
        except BaseException as e:  # noqa: BLE001 -- answered by gunicorn's handle_error, as SyncWorker.handle does
            self.handle_error(req, client, addr, e)
        finally:
            if idle:
                util.close(client)
            else:
                util.close_graceful(client)
        return after

    def next_request(self, client):
        """Wait up to gunicorn's ``keepalive`` seconds for ``client``'s next request.  True when it comes;
        the (listener, socket, address) of a new connection if one comes first and this worker takes it
        (another idle worker may take it instead; then the wait goes on); None when the time is up, the
        worker stops, or keep-alive is off (no epoll, or keepalive 0)."""
        if self._poll is None or not self.config.keepalive or not self.alive:
            return None
        self.notify()
        fd = client.fileno()
        self._poll.register(fd, select.EPOLLIN)
        try:
            deadline = time.monotonic() + self.config.keepalive
            while self.alive and (remaining := deadline - time.monotonic()) > 0:
                ready = [f for f, _ in self._poll.poll(remaining)]
                if fd in ready:
                    return True
                if self.PIPE[0] in ready:
                    os.read(self.PIPE[0], 1)
                for listener in (self._ready[f] for f in ready if f != self.PIPE[0] and f in self._ready):
                    try:
                        taken, addr = listener.accept()
                    except OSError as e:
                        if e.errno in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                            continue  # another worker took it
                        raise
                    taken.setblocking(1)
                    util.close_on_exec(taken)
                    return listener, taken, addr
            return None
        finally:
            self._poll.unregister(fd)

    def someone_waiting(self) -> bool:
        """Whether a new connection waits on a listener: then this one closes after its answer, so that under
        load the waiting clients are served in turn instead of after the kept ones' next requests."""
        return any(fd != self.PIPE[0] and fd in self._ready for fd, _ in self._poll.poll(0))

    def handle_request(self, listener, req, client, addr) -> bool:
        """SyncWorker.handle_request, without closing every connection: whether this one can stay open."""
        environ, resp = {}, None
        try:
            self.config.pre_request(self, req)
            request_start = datetime.now()
            resp, environ = wsgi.create(req, client, addr, listener.getsockname(), self.config)
            self.nr += 1
            if self.nr >= self.max_requests:
                self.log.info("Autorestarting worker after current request.")
                self.alive = False
            respiter = self.wsgi(environ, resp.start_response)
            if not self.alive or self._poll is None or not self.config.keepalive or self.someone_waiting():
                resp.force_close()  # decided before the head is written
            try:
                if isinstance(respiter, environ["wsgi.file_wrapper"]):
                    resp.write_file(respiter)
                else:
                    for item in respiter:
                        resp.write(item)
                resp.close()
            finally:
                self.log.access(resp, req, environ, datetime.now() - request_start)
                if hasattr(respiter, "close"):
                    respiter.close()
            return not resp.should_close()
        except OSError:
            util.reraise(*sys.exc_info())
        except (Exception, SystemExit):
            if resp and resp.headers_sent:  # writing a 500 after a started response would corrupt it
                self.log.exception("Error handling request")
                util.close_graceful(client)
                raise StopIteration() from None
            raise
        finally:
            try:
                self.config.post_request(self, req, environ, resp)
            except Exception:
                self.log.exception("Exception in post_request hook")
