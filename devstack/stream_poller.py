"""The table's stream, locally: what Lambda's event source mappings do on AWS.

The emulator cannot run a Lambda, so the local stack does the mappings' part itself, in
threads of the devstack process: one reads the emulator's stream with GetRecords, and one per
mapping keeps the records the mapping's filter patterns match, gathers them into batches of the
mapping's size and calls the function's handler (the file its template names, imported from
the function's code folder as the Lambda runtime does) with the event Lambda would send and a
context that counts down the function's timeout. Partial batch failures are retried from the
first failed record, a failing invocation is retried (bisected when the mapping says so) up to
the mapping's retry count and record age; a batch given up on is reported on stderr where AWS
would send its description to the dead-letter queue.

Everything comes from the templates in addons/environment: which functions read the stream,
their filters, batch sizes and retry settings, their handlers and environment variables. The
handlers get boto3 clients for the emulator (their `from_environment`, handed the local
session). What does not happen locally: reading from TRIM_HORIZON (the poller starts at the
stream's end, so a reused emulator's old records are not handed in again), the batching
window's full length (it waits at most LOCAL_BATCHING_WINDOW_S), concurrency limits, and
X-Ray (Powertools' tracer is off outside Lambda).

The audit archive bucket gets its settings here too (`provision`), through the S3 API from its
template's properties: moto's CloudFormation, which creates the buckets, leaves out versioning
and Object Lock.
"""

from __future__ import annotations

import argparse
import base64
import importlib
import json
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import cached_property
from logging import StreamHandler
from pathlib import Path
from typing import Any, TextIO

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from moto.events.models import EventPattern

from devstack import templates
from devstack.emulator import DUMMY_CREDENTIALS, EndpointSession
from devstack.intrinsics import Resolver

# Locally a batch waits this long at most for more records (Lambda: the mapping's window).
LOCAL_BATCHING_WINDOW_S = 1.0
IDLE_POLL_S = 0.25
# The stream is read again at once while it has records, then after 0.1 s, doubling up to 1 s.
MIN_POLL_S = 0.1
MAX_POLL_S = 1.0
GET_RECORDS_LIMIT = 1000
_REDIRECTED = threading.Lock()
# Each mapping's worker imports its handler in its own thread. Two threads importing modules
# that share a package (Powertools) at once can meet a module the other is still initialising
# ("partially initialized module", a KeyError from importlib), and that worker never ran:
# handlers load one at a time.
_LOADING = threading.RLock()


@dataclass(frozen=True)
class StreamMapping:
    """An event source mapping on the table's stream, with the function it invokes."""

    name: str
    stream_arn: str
    function_name: str
    code: Path
    handler: str
    environment: dict[str, str]
    timeout_s: int
    memory_mb: int
    patterns: tuple[str, ...]
    batch_size: int
    batching_window_s: float
    maximum_retry_attempts: int
    maximum_record_age_s: int
    bisect_on_error: bool
    reports_item_failures: bool

    @cached_property
    def _filters(self) -> list[EventPattern]:
        return [EventPattern.load(pattern) for pattern in self.patterns]

    def matches(self, record: dict[str, Any]) -> bool:
        """Lambda's filtering: a record passes when any of the patterns matches it."""
        return not self._filters or any(f.matches_event(record) for f in self._filters)


def stream_mappings(template: Mapping[str, Any], resolver: Resolver) -> list[StreamMapping]:
    """The template's event source mappings on a DynamoDB table's stream."""
    found = []
    resources = template["Resources"]
    for logical_id, resource in sorted(resources.items()):
        if resource["Type"] != "AWS::Lambda::EventSourceMapping":
            continue
        properties = resource["Properties"]
        source = properties["EventSourceArn"]
        if not (
            isinstance(source, dict) and source.get("Fn::GetAtt", [None, None])[1] == "StreamArn"
        ):
            continue
        function = resources[properties["FunctionName"]["Ref"]]["Properties"]
        variables = function.get("Environment", {}).get("Variables", {})
        found.append(
            StreamMapping(
                name=logical_id,
                stream_arn=resolver.resolve(source),
                function_name=resolver.resolve(function["FunctionName"]),
                code=templates.ROOT / function["Code"],
                handler=function["Handler"],
                environment={k: str(resolver.resolve(v)) for k, v in variables.items()},
                timeout_s=int(function.get("Timeout", 3)),
                memory_mb=int(function.get("MemorySize", 128)),
                patterns=tuple(
                    f["Pattern"]
                    for f in (properties.get("FilterCriteria") or {}).get("Filters", [])
                ),
                batch_size=int(properties.get("BatchSize", 100)),
                batching_window_s=float(properties.get("MaximumBatchingWindowInSeconds", 0)),
                maximum_retry_attempts=int(properties.get("MaximumRetryAttempts", -1)),
                maximum_record_age_s=int(properties.get("MaximumRecordAgeInSeconds", -1)),
                bisect_on_error=bool(properties.get("BisectBatchOnFunctionError", False)),
                reports_item_failures="ReportBatchItemFailures"
                in properties.get("FunctionResponseTypes", []),
            )
        )
    return found


def stream_buckets(template: Mapping[str, Any]) -> list[str]:
    """The buckets the stream functions are handed (by their environment variables)."""
    names = []
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        for value in resource["Properties"].get("Environment", {}).get("Variables", {}).values():
            target = value.get("Ref") if isinstance(value, dict) else None
            if target and template["Resources"].get(target, {}).get("Type") == "AWS::S3::Bucket":
                names.append(target)
    return sorted(set(names))


# -- the event Lambda sends ------------------------------------------------------------------


def lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A GetRecords record (as boto3 parses it) in the shape of a Lambda event's record: the
    creation time as epoch seconds, binary values base64-encoded, the stream's ARN added."""
    shaped = _json_shaped(record)
    shaped["eventSourceARN"] = stream_arn
    return shaped


def _json_shaped(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json_shaped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_shaped(v) for v in value]
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    return value


def lambda_event(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Records": records}


@dataclass
class LocalContext:
    """The parts of Lambda's context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int
    timeout_s: int
    region: str = "us-east-1"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    _started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:123456789012:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return "local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_s - (time.monotonic() - self._started)) * 1000))


def load_handler(mapping: StreamMapping) -> tuple[Any, Callable[..., Any]]:
    """The handler as the Lambda runtime finds it: the code folder first on the path, the
    module and function the template's Handler names."""
    folder = str(mapping.code)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    module_name, function_name = mapping.handler.rsplit(".", 1)
    with _LOADING:
        module = importlib.import_module(module_name)
    return module, getattr(module, function_name)


# -- the pollers -----------------------------------------------------------------------------


@dataclass
class MappingStats:
    invocations: int = 0
    records: int = 0
    filtered_out: int = 0
    retries: int = 0
    given_up: int = 0


def streams_client(session: Any) -> Any:
    # botocore sends calls on a stream ARN to an account-based endpoint, which moto in-process
    # (the unit tests) does not route; the plain regional endpoint answers the same.
    return session.client("dynamodbstreams", config=Config(account_id_endpoint_mode="disabled"))


class StreamReader:
    """Reads a stream from its end onwards (every open shard, and the shards that follow a
    closed one), in the shape of a Lambda event's records."""

    def __init__(self, streams: Any, stream_arn: str):
        self._streams = streams
        self.stream_arn = stream_arn
        self._iterators: dict[str, str] = {}
        self._open_iterators()

    def _open_iterators(self) -> None:
        description = self._streams.describe_stream(StreamArn=self.stream_arn)
        for shard in description["StreamDescription"]["Shards"]:
            if "EndingSequenceNumber" in shard.get("SequenceNumberRange", {}):
                continue
            shard_id = shard["ShardId"]
            if shard_id not in self._iterators:
                self._iterators[shard_id] = self._streams.get_shard_iterator(
                    StreamArn=self.stream_arn, ShardId=shard_id, ShardIteratorType="LATEST"
                )["ShardIterator"]

    def read(self) -> list[dict[str, Any]]:
        """What the stream holds beyond the last read (page after full page)."""
        records: list[dict[str, Any]] = []
        for shard_id in list(self._iterators):
            while shard_id in self._iterators:
                response = self._streams.get_records(
                    ShardIterator=self._iterators[shard_id], Limit=GET_RECORDS_LIMIT
                )
                page = response.get("Records", [])
                records.extend(lambda_record(r, self.stream_arn) for r in page)
                if response.get("NextShardIterator"):
                    self._iterators[shard_id] = response["NextShardIterator"]
                else:
                    del self._iterators[shard_id]
                    self._open_iterators()
                if len(page) < GET_RECORDS_LIMIT:
                    break
        return records


class MappingWorker(threading.Thread):
    """One event source mapping: keeps the records its filter lets through and hands them to
    its function in batches, as Lambda's pollers do."""

    def __init__(
        self,
        mapping: StreamMapping,
        session: Any,
        region: str,
        runtime: Any = None,
        output: TextIO | None = None,
    ):
        """`runtime` replaces what the handler's `from_environment` would build (for tests);
        `output` takes what the handler prints (its logs and metrics), instead of stdout."""
        super().__init__(name=f"stream-{mapping.name}", daemon=True)
        self.mapping = mapping
        self.stats = MappingStats()
        self._region = region
        self._session = session
        self._handler: Callable[..., Any] | None = None
        self._module: Any = None
        self._runtime = runtime
        self._output = output
        self._stopping = threading.Event()
        self._resumed = threading.Event()
        self._resumed.set()
        self._delivering = threading.Lock()
        self._arrived = threading.Condition()
        self._pending: list[dict[str, Any]] = []
        self._oldest_pending = 0.0

    def stop(self) -> None:
        self._stopping.set()
        with self._arrived:
            self._arrived.notify_all()

    def offer(self, records: list[dict[str, Any]]) -> None:
        """Records read from the stream; those the mapping's filter matches are queued."""
        kept = [r for r in records if self.mapping.matches(r)]
        self.stats.filtered_out += len(records) - len(kept)
        if not kept:
            return
        with self._arrived:
            if not self._pending:
                self._oldest_pending = time.monotonic()
            self._pending.extend(kept)
            self._arrived.notify_all()

    def _load(self) -> Callable[..., Any]:
        """The handler, imported on first use (in the worker's thread: the stack's start does
        not wait for Powertools to import)."""
        if self._handler is None:
            with _LOADING:
                module, self._handler = load_handler(self.mapping)
                self._module = module
                if self._runtime is None:
                    environment = {**self.mapping.environment, "AWS_REGION": self._region}
                    self._runtime = module.from_environment(environment, self._session)
        return self._handler

    @contextmanager
    def _printing(self) -> Iterator[None]:
        """Where the handler's output goes while it runs: its metrics are printed to stdout at
        the time, its Powertools logger writes to the stream it was made with."""
        if self._output is None:
            yield
            return
        logger = getattr(self._module, "logger", None)
        handler = getattr(logger, "registered_handler", None)
        # sys.stdout is the process's: one redirected handler runs at a time.
        with _REDIRECTED:
            previous = (
                handler.setStream(self._output) if isinstance(handler, StreamHandler) else None
            )
            try:
                with redirect_stdout(self._output):
                    yield
            finally:
                if previous is not None:
                    handler.setStream(previous)

    def run(self) -> None:
        try:
            self._load()
        except Exception as error:
            print(
                f"[stream] {self.mapping.name}: cannot load {self.mapping.handler}: {error!r}",
                file=sys.stderr,
                flush=True,
            )
            return
        window = min(self.mapping.batching_window_s, LOCAL_BATCHING_WINDOW_S)
        while not self._stopping.is_set():
            if not self._resumed.wait(IDLE_POLL_S):
                continue
            with self._arrived:
                if not self._pending:
                    self._arrived.wait(IDLE_POLL_S)
                    continue
                waited = time.monotonic() - self._oldest_pending
                if len(self._pending) < self.mapping.batch_size and waited < window:
                    self._arrived.wait(window - waited)
                    continue
            self.deliver_pending(once=True)

    def deliver_pending(self, *, once: bool = False) -> None:
        """Hands the queued records in, a batch at a time (one batch with `once`)."""
        while not self._stopping.is_set():
            with self._arrived:
                batch = self._pending[: self.mapping.batch_size]
                del self._pending[: len(batch)]
                if self._pending:
                    self._oldest_pending = time.monotonic()
            if not batch:
                return
            with self._delivering:
                self._deliver(batch)
            if once:
                return

    def invoke_directly(self, event: dict[str, Any]) -> Any:
        """Calls the function with another event than the stream's (the digest's schedule),
        as Lambda invokes it asynchronously; between stream batches, never during one."""
        mapping = self.mapping
        context = LocalContext(
            mapping.function_name, mapping.memory_mb, mapping.timeout_s, region=self._region
        )
        with self._delivering:
            handler = self._load()
            with self._printing():
                return handler(event, context, runtime=self._runtime)

    def pause(self) -> None:
        """Holds the records back (they queue) once the batch being handed in is done."""
        self._resumed.clear()
        with self._delivering:
            pass

    def resume(self) -> None:
        self._resumed.set()

    def _deliver(self, batch: list[dict[str, Any]]) -> None:
        attempts = 0
        while batch and not self._stopping.is_set():
            batch = self._drop_expired(batch)
            if not batch:
                return
            remaining = self._invoke(batch)
            if not remaining:
                return
            attempts += 1
            if 0 <= self.mapping.maximum_retry_attempts < attempts:
                self._give_up(remaining, f"after {attempts - 1} retries")
                return
            self.stats.retries += 1
            batch = remaining
            self._stopping.wait(min(2.0, 0.1 * 2**attempts))

    def _invoke(self, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Calls the handler; returns the records to hand in again (none on success)."""
        mapping = self.mapping
        context = LocalContext(
            mapping.function_name, mapping.memory_mb, mapping.timeout_s, region=self._region
        )
        self.stats.invocations += 1
        self.stats.records += len(batch)
        try:
            handler = self._load()
            with self._printing():
                response = handler(lambda_event(batch), context, runtime=self._runtime)
        except Exception as error:
            print(
                f"[stream] {mapping.function_name} failed on {len(batch)} records: {error!r}",
                file=sys.stderr,
                flush=True,
            )
            if mapping.bisect_on_error and len(batch) > 1:
                # The first half is retried now; the second goes back to the queue's front.
                half = len(batch) // 2
                with self._arrived:
                    self._pending[:0] = batch[half:]
                return batch[:half]
            return batch
        if not mapping.reports_item_failures:
            return []
        failures = (response or {}).get("batchItemFailures") or []
        if not failures:
            return []
        numbers = {r["dynamodb"]["SequenceNumber"]: i for i, r in enumerate(batch)}
        positions = [numbers.get(f.get("itemIdentifier")) for f in failures]
        if any(p is None for p in positions):
            # Lambda treats an identifier it does not know as a failure of the whole batch.
            return batch
        return batch[min(positions) :]

    def _drop_expired(self, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        limit = self.mapping.maximum_record_age_s
        if limit < 0:
            return batch
        now = time.time()
        fresh = [r for r in batch if now - r["dynamodb"]["ApproximateCreationDateTime"] <= limit]
        if len(fresh) < len(batch):
            self._give_up([r for r in batch if r not in fresh], "records too old")
        return fresh

    def _give_up(self, records: list[dict[str, Any]], why: str) -> None:
        self.stats.given_up += len(records)
        first = records[0]["dynamodb"]["SequenceNumber"]
        last = records[-1]["dynamodb"]["SequenceNumber"]
        print(
            json.dumps(
                {
                    "stream": self.mapping.name,
                    "gave_up": len(records),
                    "why": why,
                    "sequence_numbers": [first, last],
                    "on_aws": "the batch's description goes to the stream dead-letter queue",
                }
            ),
            file=sys.stderr,
            flush=True,
        )


class StreamFeeder(threading.Thread):
    """Reads the table's stream and offers what it reads to every mapping's worker (Lambda
    reads once per mapping; locally one reader is enough, and reads cost the emulator)."""

    def __init__(self, reader: StreamReader, workers: list[MappingWorker]):
        super().__init__(name="stream-reader", daemon=True)
        self._reader = reader
        self._workers = workers
        self._stopping = threading.Event()

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> None:
        idle_s = MIN_POLL_S
        while not self._stopping.is_set():
            try:
                records = self._reader.read()
            except (BotoCoreError, ClientError) as error:
                if self._stopping.is_set():
                    return
                print(f"[stream] reading the stream failed: {error}", file=sys.stderr, flush=True)
                self._stopping.wait(MAX_POLL_S)
                continue
            for worker in self._workers:
                worker.offer(records)
            if records:
                idle_s = MIN_POLL_S
            else:
                # The emulator serves one request at a time: a quiet stream is asked less often.
                self._stopping.wait(idle_s)
                idle_s = min(MAX_POLL_S, idle_s * 2)


class LocalStreams:
    """The local stack's stream: one reader, and a worker per event source mapping on it."""

    def __init__(
        self,
        feeders: list[StreamFeeder],
        workers: list[MappingWorker],
        output: TextIO | None = None,
    ):
        self.feeders = feeders
        self.workers = workers
        self._output = output

    def start(self) -> None:
        for thread in (*self.workers, *self.feeders):
            thread.start()

    def stop(self) -> None:
        for thread in (*self.feeders, *self.workers):
            thread.stop()
        for thread in (*self.feeders, *self.workers):
            if thread.is_alive():
                thread.join(timeout=10)
        if self._output is not None:
            self._output.close()

    def stats(self) -> dict[str, MappingStats]:
        return {worker.mapping.name: worker.stats for worker in self.workers}

    def digest(self, through: str | None = None) -> Any:
        """Runs the daily digest now, as its schedule does at 08:00 UTC (`through`: the day
        whose digest is due, YYYY-MM-DD; today by default)."""
        (worker,) = [w for w in self.workers if "MAIL_FROM" in w.mapping.environment]
        return worker.invoke_directly(
            {"digest": "daily", **({"through": through} if through else {})}
        )

    @contextmanager
    def paused(self) -> Iterator[None]:
        """The stream functions hold back while the block runs (for a test that looks at what
        the table holds before the purge); what came meanwhile is handed in afterwards."""
        for worker in self.workers:
            worker.pause()
        try:
            yield
        finally:
            for worker in self.workers:
                worker.resume()


# -- setting it up from the templates --------------------------------------------------------


@dataclass
class StreamSetup:
    mappings: list[StreamMapping]
    buckets: dict[str, str]  # logical id -> bucket name


def provision(
    session: Any, *, app: str, env: str, resources: dict[str, dict[str, str]]
) -> StreamSetup:
    """Gives the buckets the stream functions write their template's settings (Object Lock,
    versioning, encryption, public access block, tags; creating a bucket the provisioner did
    not) and reads the mappings. `resources` is what the local provisioner made."""
    template = templates.merged(templates.ENVIRONMENT_ADDONS)
    account = session.client("sts").get_caller_identity()["Account"]

    def resolver() -> Resolver:
        defaults = {
            name: str(spec["Default"])
            for name, spec in (template.get("Parameters") or {}).items()
            if "Default" in spec
        }
        return Resolver(
            template,
            parameters={**defaults, "App": app, "Env": env},
            pseudo={
                "AWS::Region": session.region_name,
                "AWS::AccountId": account,
                "AWS::Partition": "aws",
                "AWS::URLSuffix": "amazonaws.com",
            },
            resources=resources,
            exports={},
        )

    buckets = {}
    for logical_id in stream_buckets(template):
        properties = resolver().resolve(template["Resources"][logical_id]["Properties"])
        name = _ensure_bucket(session.client("s3"), properties, session.region_name)
        buckets[logical_id] = name
        resources.setdefault(logical_id, {"Ref": name, "Arn": f"arn:aws:s3:::{name}"})
    return StreamSetup(mappings=stream_mappings(template, resolver()), buckets=buckets)


def with_local_settings(mapping: StreamMapping, local: Mapping[str, str]) -> StreamMapping:
    """The function's settings as the local stack runs it: a variable of its template that
    names something only AWS has (APP_BASE_URL: the CloudFront URL) takes the local value, and
    a function that sends email (MAIL_FROM) also writes what it sends to OUTBOX_DIR."""
    environment = dict(mapping.environment)
    for name, value in local.items():
        if name in environment or (name in LOCAL_ONLY and "MAIL_FROM" in environment):
            environment[name] = value
    return replace(mapping, environment=environment)


# Settings no template has: the local stack gives them to the functions that send email.
LOCAL_ONLY = frozenset({"OUTBOX_DIR"})


def start(
    session: Any,
    setup: StreamSetup,
    output: TextIO | None = None,
    local_settings: Mapping[str, str] | None = None,
) -> LocalStreams:
    """Starts reading each stream from its end, and the workers that hand its records in. The
    functions print to `output` if given (the tests' log file, closed on stop), else to stdout
    (`make dev`). `local_settings` replace the templates' values that only AWS has."""
    workers = [
        MappingWorker(
            with_local_settings(mapping, local_settings or {}),
            session,
            session.region_name,
            output=output,
        )
        for mapping in setup.mappings
    ]
    feeders = [
        StreamFeeder(
            StreamReader(streams_client(session), arn),
            [w for w in workers if w.mapping.stream_arn == arn],
        )
        for arn in sorted({m.stream_arn for m in setup.mappings})
    ]
    streams = LocalStreams(feeders, workers, output)
    streams.start()
    return streams


def _ensure_bucket(s3: Any, properties: dict[str, Any], region: str) -> str:
    name = properties["BucketName"]
    try:
        s3.head_bucket(Bucket=name)
    except ClientError:
        arguments: dict[str, Any] = {
            "Bucket": name,
            "ObjectLockEnabledForBucket": bool(properties.get("ObjectLockEnabled")),
        }
        if region != "us-east-1":
            arguments["CreateBucketConfiguration"] = {"LocationConstraint": region}
        s3.create_bucket(**arguments)
    if "VersioningConfiguration" in properties:
        s3.put_bucket_versioning(
            Bucket=name, VersioningConfiguration=properties["VersioningConfiguration"]
        )
    lock = properties.get("ObjectLockConfiguration")
    if lock and "Rule" in lock:
        # Template parameters arrive as strings; the API wants the numbers as numbers.
        retention = lock["Rule"]["DefaultRetention"]
        for unit in ("Days", "Years"):
            if unit in retention:
                retention[unit] = int(retention[unit])
    if lock and not _same_lock(_lock_configuration(s3, name), lock):
        s3.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration=lock)
    encryption = properties.get("BucketEncryption")
    if encryption:
        # CloudFormation's ServerSideEncryptionByDefault is the API's
        # ApplyServerSideEncryptionByDefault.
        rules = [
            {
                "ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"],
                **(
                    {"BucketKeyEnabled": rule["BucketKeyEnabled"]}
                    if "BucketKeyEnabled" in rule
                    else {}
                ),
            }
            for rule in encryption["ServerSideEncryptionConfiguration"]
        ]
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
    if "PublicAccessBlockConfiguration" in properties:
        s3.put_public_access_block(
            Bucket=name,
            PublicAccessBlockConfiguration=properties["PublicAccessBlockConfiguration"],
        )
    if properties.get("Tags"):
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": properties["Tags"]})
    return name


def _lock_configuration(s3: Any, name: str) -> dict[str, Any] | None:
    try:
        return s3.get_object_lock_configuration(Bucket=name)["ObjectLockConfiguration"]
    except ClientError:
        return None


def _same_lock(current: dict[str, Any] | None, wanted: dict[str, Any]) -> bool:
    """Whether the bucket has the wanted default retention already (moto reports the unit
    not given as 0; it refuses a new configuration once the bucket holds objects)."""
    if not current or current.get("ObjectLockEnabled") != wanted.get("ObjectLockEnabled"):
        return False
    have = current.get("Rule", {}).get("DefaultRetention", {})
    want = wanted.get("Rule", {}).get("DefaultRetention", {})
    return all(have.get(k) == v for k, v in want.items())


# -- make audit-verify ----------------------------------------------------------------------


def local_archive(session: Any, *, app: str, env: str) -> tuple[str, str]:
    """The local stack's archive bucket and table, named as the templates name them."""
    template = templates.merged(templates.ENVIRONMENT_ADDONS)
    account = session.client("sts").get_caller_identity()["Account"]
    resolver = Resolver(
        template,
        parameters={"App": app, "Env": env},
        pseudo={"AWS::Region": session.region_name, "AWS::AccountId": account},
        resources={},
        exports={},
    )
    (bucket,) = stream_buckets(template)
    name = resolver.resolve(template["Resources"][bucket]["Properties"]["BucketName"])
    tables = [
        resolver.resolve(r["Properties"]["TableName"])
        for r in template["Resources"].values()
        # A global table in the templates (table.yml), one replica locally.
        if r["Type"] in ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable")
    ]
    (table,) = tables
    return name, table


# What `make dev` writes so that `make digest`, another process, can run a function as it does.
def functions_file(folder: Path, env: str) -> Path:
    return folder / f"functions-{env}.json"


def save_functions(setup: StreamSetup, path: Path, local_settings: Mapping[str, str]) -> Path:
    """The running stack's functions (code, handler, settings), for `make digest`."""
    described = {
        m.function_name: {
            "code": str(m.code),
            "handler": m.handler,
            "timeout_s": m.timeout_s,
            "memory_mb": m.memory_mb,
            "environment": with_local_settings(m, local_settings).environment,
        }
        for m in setup.mappings
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(described, indent=2))
    return path


def run_digest(session: Any, functions_file: Path, through: str | None) -> Any:
    """`make digest`: the daily digest of the stack `make dev` runs, now."""
    described = json.loads(functions_file.read_text())
    (name,) = [n for n, f in described.items() if "MAIL_FROM" in f["environment"]]
    function = described[name]
    mapping = StreamMapping(
        name="digest",
        stream_arn="",
        function_name=name,
        code=Path(function["code"]),
        handler=function["handler"],
        environment=function["environment"],
        timeout_s=function["timeout_s"],
        memory_mb=function["memory_mb"],
        patterns=(),
        batch_size=1,
        batching_window_s=0,
        maximum_retry_attempts=0,
        maximum_record_age_s=-1,
        bisect_on_error=False,
        reports_item_failures=False,
    )
    worker = MappingWorker(mapping, session, session.region_name)
    return worker.invoke_directly({"digest": "daily", **({"through": through} if through else {})})


def main(argv: list[str] | None = None) -> int:
    """`python -m devstack.stream_poller verify`: checks the local stack's audit archive.
    `python -m devstack.stream_poller digest [--through YYYY-MM-DD]`: sends the daily digest of
    the running `make dev` now."""
    parser = argparse.ArgumentParser(prog="python -m devstack.stream_poller")
    parser.add_argument("command", choices=["verify", "digest"])
    parser.add_argument("--env", default="local", help="the local environment (default: local)")
    parser.add_argument("--app", default="teamtasks")
    parser.add_argument(
        "--through", help="digest: the day whose digest is due (default: tomorrow's, all pending)"
    )
    parser.add_argument("--state-dir", default=str(templates.ROOT / ".devstack"))
    arguments = parser.parse_args(argv)
    endpoint = f"http://127.0.0.1:{os.environ.get('AWS_EMULATOR_PORT', '4566')}"
    session = EndpointSession(endpoint, os.environ.get("AWS_REGION", "us-east-1"))
    for name, value in DUMMY_CREDENTIALS.items():
        os.environ.setdefault(name, value)
    if arguments.command == "digest":
        described = functions_file(Path(arguments.state_dir), arguments.env)
        if not described.is_file():
            print(f"no {described}: is `make dev` running?", file=sys.stderr)
            return 1
        # Locally the digest sends everything pending, tomorrow's marks included.
        through = arguments.through or (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
        print(json.dumps(run_digest(session, described, through)))
        return 0
    bucket, table = local_archive(session, app=arguments.app, env=arguments.env)
    folder = str(templates.ROOT / "lambdas" / "audit_archive")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    audit_chain = importlib.import_module("audit_chain")
    return audit_chain.main(
        [
            "--bucket",
            bucket,
            "--table",
            table,
            "--endpoint-url",
            endpoint,
            "--region",
            session.region_name,
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
