"""Intake: raw actions (the contract's JSON) from `complaint-actions`, recorded like any import.

Validation and the state machine are the same domain code `import` uses. A message that is not JSON,
fails validation, is refused by the state machine, is empty (a tombstone), too large or nested too
deeply goes to `complaint-actions.dlq` with the reason, its partition and offset and the original
bytes; intake moves on. Offsets are committed only after the batch is saved, so a crash redelivers,
and a redelivered action is a no-op by its `action_id`. Only a database or broker failure stops
intake (its restart reads the same messages again); no message can.
"""

from __future__ import annotations

import json
from typing import Any

from consumers.dead_letters import dead_letter, infrastructure, why
from consumers.kafka_io import DEFAULT_TOPICS, ONCE_WAIT_S, Deadline, Stop, Topics, unassigned
from consumers.workers import caught_up, commit, partition_lag
from domain.actions import Action, InvalidAction, parse_action
from domain.application import BatchOutcome, ComplaintLog
from monitoring.health import Health

MAX_ACTION_BYTES = 64 * 1024  # an action is a few hundred bytes; anything this big is not one


def read_action(value: bytes | None) -> Action:
    """The action in one message's value, or InvalidAction saying why there is none."""
    if value is None:
        raise InvalidAction("an empty message (a tombstone: its value is null), not an action")
    if len(value) > MAX_ACTION_BYTES:
        raise InvalidAction(f"too large: {len(value):,} bytes (an action is at most {MAX_ACTION_BYTES:,})")
    try:
        data = json.loads(value)
    except (ValueError, TypeError, RecursionError) as error:
        raise InvalidAction(f"not JSON: {why(error)}") from None
    try:
        return parse_action(data)
    except InvalidAction:
        raise
    except Exception as error:  # a shape the validator did not foresee is still the message's fault
        if infrastructure(error):
            raise
        raise InvalidAction(f"not a valid action: {why(error)}") from None


class Intake:
    def __init__(self, consumer: Any, producer: Any, log: ComplaintLog, topics: Topics = DEFAULT_TOPICS) -> None:
        self.consumer, self.producer, self.log, self.topics = consumer, producer, log, topics
        self.accepted = self.duplicates = self.dead = 0
        self.lag: dict[tuple[str, int], tuple[int, int]] = {}  # (topic, partition) -> (next offset, messages after)
        self.health = Health()

    def poll_once(self, timeout_ms: int = 1000) -> int:
        polled = self.consumer.poll(timeout_ms=timeout_ms)
        messages = [m for batch in polled.values() for m in batch]
        self.take(messages)
        if messages:
            commit(self.consumer)
        self.lag = partition_lag(self.consumer)
        self.health.beat(bool(self.consumer.assignment()), "no partition of the actions topic assigned (yet)")
        return len(messages)

    def take(self, messages: list[Any]) -> None:
        """Record the actions among `messages` and dead-letter every other one, with its reason."""
        numbered, by_number = [], {}
        for n, message in enumerate(messages):
            try:
                numbered.append((n, read_action(message.value)))
                by_number[n] = message
            except InvalidAction as error:
                self.reject(message, str(error))
        if not numbered:
            return
        try:
            self.count(self.log.record(numbered), by_number)
        except Exception as error:
            if infrastructure(error):
                raise
            for n, action in numbered:  # one of them breaks the batch: find it, keep the others
                try:
                    self.count(self.log.record([(n, action)]), by_number)
                except Exception as single:
                    if infrastructure(single):
                        raise
                    self.reject(by_number[n], f"could not be recorded: {why(single)}")

    def count(self, outcome: BatchOutcome, by_number: dict[int, Any]) -> None:
        self.accepted += outcome.accepted
        self.duplicates += outcome.duplicates
        for n, reason in outcome.rejected:
            self.reject(by_number[n], reason)

    def reject(self, message: Any, reason: str) -> None:
        dead_letter(self.producer, self.topics.actions_dlq, message, reason)
        self.dead += 1

    def run(self, once: bool = False, stop: Stop | None = None, wait_s: float = ONCE_WAIT_S) -> dict[str, int]:
        """Record until stopped; with `once`, until caught up, or raise BrokerUnreachable when no partition
        was given to it within `wait_s`."""
        self.consumer.subscribe([self.topics.actions])
        idle, patience = 0, Deadline(wait_s if once else None, unassigned(self.topics.actions))
        while not stop:
            taken = self.poll_once()
            idle = idle + 1 if taken == 0 else 0
            if once and idle >= 2 and caught_up(self.consumer, self.topics.actions):
                break
            patience.watch(bool(self.consumer.assignment()))
        return {"accepted": self.accepted, "duplicates": self.duplicates, "dead_lettered": self.dead}
