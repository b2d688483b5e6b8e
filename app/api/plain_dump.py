"""Response schemas dumped by a plain function instead of marshmallow's walk over their fields.

marshmallow serialises field by field through several calls each (the accessor, the field's
`serialize`, its `_serialize`): a page of 25 tasks was 8,300 such walks, 14% of the request's
CPU (docs/performance.md). A schema built on `PlainDump` keeps its fields, which remain the
OpenAPI document's source and what the tests hold the function to
(tests/unit/test_plain_dump.py: the same output as marshmallow's dump for generated inputs, and
no field of the schema missing from the function); only `dump` takes the short way.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma


class PlainDump(ma.Schema):
    """Subclasses define `dump_one(obj) -> dict`, the whole of one object's dump."""

    def dump_one(self, obj: Any) -> dict[str, Any]:
        raise NotImplementedError

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        if self.only is not None or self.exclude or self._has_dump_hooks():
            # A narrowed instance, or a schema with dump hooks: marshmallow's own dump.
            return super().dump(obj, many=many)
        if self.many if many is None else many:
            dump_one = self.dump_one
            return [dump_one(item) for item in obj]
        return self.dump_one(obj)

    def _has_dump_hooks(self) -> bool:
        return bool(self._hooks[ma.decorators.PRE_DUMP] or self._hooks[ma.decorators.POST_DUMP])

    def marshmallow_dump(self, obj: Any, *, many: bool | None = None) -> Any:
        """marshmallow's dump of the same schema, which `dump_one` must equal."""
        return super().dump(obj, many=many)
