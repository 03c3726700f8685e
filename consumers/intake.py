"""Intake: raw actions (the contract's JSON) from `complaint-actions`, recorded like any import.

Validation and the state machine are the same domain code `import` uses. A message that is not JSON,
fails validation or is refused by the state machine goes to `complaint-actions.dlq` with the reason
and the original bytes; intake moves on. Offsets are committed only after the batch is saved, so a
crash redelivers, and a redelivered action is a no-op by its `action_id`.
"""

from __future__ import annotations

import json
from typing import Any

from consumers.kafka_io import DEFAULT_TOPICS, Stop, Topics
from consumers.workers import caught_up, commit, dead_letter
from domain.actions import InvalidAction, parse_action
from domain.application import ComplaintLog


class Intake:
    def __init__(self, consumer: Any, producer: Any, log: ComplaintLog, topics: Topics = DEFAULT_TOPICS) -> None:
        self.consumer, self.producer, self.log, self.topics = consumer, producer, log, topics
        self.accepted = self.duplicates = self.dead = 0

    def poll_once(self, timeout_ms: int = 1000) -> int:
        polled = self.consumer.poll(timeout_ms=timeout_ms)
        messages = [m for batch in polled.values() for m in batch]
        numbered, by_number = [], {}
        for n, message in enumerate(messages):
            try:
                data = json.loads(message.value)
                numbered.append((n, parse_action(data)))
                by_number[n] = message
            except (ValueError, InvalidAction) as error:
                reason = str(error) if isinstance(error, InvalidAction) else f"not JSON: {error}"
                dead_letter(self.producer, self.topics.actions_dlq, message, reason)
                self.dead += 1
        if numbered:
            outcome = self.log.record(numbered)
            self.accepted += outcome.accepted
            self.duplicates += outcome.duplicates
            for n, reason in outcome.rejected:
                dead_letter(self.producer, self.topics.actions_dlq, by_number[n], reason)
                self.dead += 1
        if messages:
            commit(self.consumer)
        return len(messages)

    def run(self, once: bool = False, stop: Stop | None = None) -> dict[str, int]:
        self.consumer.subscribe([self.topics.actions])
        idle = 0
        while not stop:
            taken = self.poll_once()
            idle = idle + 1 if taken == 0 else 0
            if once and idle >= 2 and caught_up(self.consumer, self.topics.actions):
                break
        return {"accepted": self.accepted, "duplicates": self.duplicates, "dead_lettered": self.dead}
