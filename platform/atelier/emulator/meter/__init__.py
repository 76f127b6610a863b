"""The runtime's meter: billable usage of what really ran, since the runtime started.

One process-wide :data:`METER`. Hooks are one line each in the modules that see the usage:
the ECS task executor (task start/stop with vCPU, memory, GPU), the ASGI middleware (every AWS
request: API Gateway, S3 bytes and requests, DynamoDB units, alarms defined) and
:mod:`atelier.emulator.ministack_compat.meter` (Lambda invocations and durations, log bytes,
from MiniStack's own instrumentation points). ``GET /_atelier/meter`` answers the snapshot;
``POST /_atelier/meter`` sets the replay clock (``{"clock": 600, "billed_task_seconds":
{"family": 1500}}``) or resets (``{"reset": true}``). ``atelier cost --metered`` prices it.
"""

from atelier.emulator.meter.core import METER, Meter

__all__ = ["METER", "Meter"]
