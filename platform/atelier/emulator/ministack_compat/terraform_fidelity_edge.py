"""More MiniStack answers completed for an empty second plan, found on the qa, preprod and prod
roots (``nox -s rehearse_terraform``), whose edge and GPU resources ``envs/local`` leaves out:

- CloudFront ``GetResponseHeadersPolicy`` renders an empty ``CustomHeadersConfig`` and
  ``RemoveHeadersConfig`` (``Quantity`` 0) that the request did not carry; AWS leaves them out,
  and the provider planned to remove the two blocks forever.
- EC2 launch templates drop an EBS mapping's ``KmsKeyId`` (the GPU instances' encrypted root
  volume) and render a network interface's security groups as ``<item>`` where EC2 has
  ``<groupId>`` (the SDKs read none), so the provider planned a new template version forever.

Same rules as :mod:`.terraform_fidelity`: what the request carried is answered back.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape
from typing import Any

from atelier.emulator.ministack_compat.terraform_fidelity import _wrap

# the functions wrapped (cloudfront._build_rhp_config_xml, ec2._parse_lt_data, ec2._lt_data_xml)
# are checked by _wrap, which fails (logged, or raised by apply()) when one is gone
REQUIRED_INTERNALS: dict[str, tuple[str, ...]] = {
    "ministack.services.ec2": ("_p",),
}
EMPTY_LISTS = ("CustomHeadersConfig", "RemoveHeadersConfig")
NI_GROUPS = re.compile(r"<networkInterfaceSet>.*?</networkInterfaceSet>", re.S)
GROUP_ITEM = re.compile(r"<groupSet>(.*?)</groupSet>", re.S)


def _group_ids(found: re.Match[str]) -> str:
    """A network interface's groups are ``<groupSet><groupId>`` (EC2's GroupIdStringList)."""
    return GROUP_ITEM.sub(
        lambda g: (
            "<groupSet>"
            + g.group(1).replace("<item>", "<groupId>").replace("</item>", "</groupId>")
            + "</groupSet>"
        ),
        found.group(0),
    )


def _cloudfront() -> None:
    from ministack.services import cloudfront

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def build_rhp_config_xml(parent: Any, cfg: dict[str, Any]) -> Any:
            result = original(parent, cfg)
            for child in list(parent):
                tag = str(child.tag).rsplit("}", 1)[-1]
                quantity = next(
                    (c.text for c in child if str(c.tag).rsplit("}", 1)[-1] == "Quantity"), None
                )
                if tag in EMPTY_LISTS and quantity == "0":
                    parent.remove(child)
            return result

        return build_rhp_config_xml

    _wrap(cloudfront, "_build_rhp_config_xml", make)


def _launch_templates() -> None:
    from ministack.services import ec2

    def make_parse(original: Callable[..., Any]) -> Callable[..., Any]:
        def parse_lt_data(params: Any, prefix: str = "LaunchTemplateData") -> Any:
            data = original(params, prefix)
            for i, mapping in enumerate(data.get("BlockDeviceMappings") or [], start=1):
                key = ec2._p(params, f"{prefix}.BlockDeviceMapping.{i}.Ebs.KmsKeyId")
                if key and "Ebs" in mapping:
                    mapping["Ebs"]["KmsKeyId"] = key
            return data

        return parse_lt_data

    def make_xml(original: Callable[..., Any]) -> Callable[..., Any]:
        def lt_data_xml(data: dict[str, Any]) -> str:
            text = str(original(data))
            for mapping in data.get("BlockDeviceMappings") or []:
                key = (mapping.get("Ebs") or {}).get("KmsKeyId")
                if not key:
                    continue
                head = f"<item><deviceName>{escape(str(mapping['DeviceName']))}</deviceName><ebs>"
                text = text.replace(head, f"{head}<kmsKeyId>{escape(str(key))}</kmsKeyId>", 1)
            return NI_GROUPS.sub(_group_ids, text)

        return lt_data_xml

    _wrap(ec2, "_parse_lt_data", make_parse)
    _wrap(ec2, "_lt_data_xml", make_xml)


FIXES: dict[str, tuple[str, Callable[[], None]]] = {
    "cloudfront response headers lists": ("ministack.services.cloudfront", _cloudfront),
    "launch template EBS KmsKeyId": ("ministack.services.ec2", _launch_templates),
}


def apply() -> list[str]:
    for _, fix in FIXES.values():
        fix()
    return list(FIXES)
