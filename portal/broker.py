"""The Redis broker transport the worker uses: kombu's, with one fix for a Redis outage.

Why (kombu 5.7.0 / celery 5.7.0 / redis-py 8.1.0, read in their installed source): when the
broker connection drops, the Celery consumer first calls ``Connection.collect()`` and then
``Connection.close()`` (``celery/worker/consumer/consumer.py``,
``on_connection_error_after_connected``). kombu's Redis ``Channel.close()`` starts by draining the
BRPOP it has in flight (``_brpop_read``, added so that a message popped at shutdown is not lost).
With Redis gone that read raises ``ConnectionError`` *before* the channel is marked closed.
``collect()`` swallows it and clears the transport's ``client``; the channel is still open. The
second close, from ``Connection.close()``, then reaches ``QoS.restore_unacked()``, which needs a
new connection pool, and ``Channel._connparams`` reads ``self.connection.client.hostname`` on
``None``. ``AttributeError`` is not a connection error, so it escapes ``ignore_errors`` and the
worker stops with ``Unrecoverable error: AttributeError("'NoneType' object has no attribute
'hostname'")``. It takes a BRPOP in flight (a free pool slot) and an unacknowledged message (an
``acks_late`` task running) at the moment Redis goes away: the portal's usual state.

The fix: a BRPOP drain that fails with a connection error ends the drain, not the close. The
close goes on while the transport still knows its broker: the channel is marked closed, and
restoring the unacknowledged messages either succeeds or fails with a connection error, which
``collect()`` already ignores. Nothing is lost either way: kombu keeps every delivered message in
its ``unacked`` hash in Redis until it is acknowledged, and puts back those older than
``visibility_timeout`` (``QoS.restore_visible``).

Used for ``redis://`` broker URLs through ``CELERY_BROKER_TRANSPORT`` (config/settings.py).
"""

from __future__ import annotations

from queue import Empty

from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    """kombu's Redis channel whose close survives a broker that is already gone."""

    def close(self) -> None:
        self._closing = True
        if self._in_poll:
            try:
                self._brpop_read()  # type: ignore[no-untyped-call]  # kombu: no hints
            except Empty:
                pass
            except self.connection_errors:
                # The broker is gone; _brpop_read has reset _in_poll, so the parent's close does
                # not try again and carries on to mark the channel closed.
                pass
        super().close()  # type: ignore[no-untyped-call]


class Transport(kombu_redis.Transport):
    """kombu's Redis transport with :class:`Channel`."""

    Channel = Channel
