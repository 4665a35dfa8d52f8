"""Storage Commitment requests and a modality that receives their reports, as the commitment,
fault and workflow specs use them."""

from __future__ import annotations

import contextlib
import queue
import threading

from pydicom.dataset import Dataset
from pynetdicom import AE, evt
from pynetdicom.pdu import P_DATA_TF

COMMITMENT = "1.2.840.10008.1.20.1"


INSTANCE = "1.2.840.10008.1.20.1.1"


CT = "1.2.840.10008.5.1.4.1.1.2"


TRANSACTION = "1.2.826.0.1.3680043.10.1089.79.1"


def request(*refs: tuple[str, str], transaction: str = TRANSACTION) -> Dataset:
    ds = Dataset()
    ds.TransactionUID = transaction
    items = []
    for sop_class, sop_instance in refs:
        item = Dataset()
        item.ReferencedSOPClassUID, item.ReferencedSOPInstanceUID = sop_class, sop_instance
        items.append(item)
    ds.ReferencedSOPSequence = items
    return ds


class Modality:
    """A pynetdicom SCU that asks for commitment and takes the report (N-EVENT-REPORT), on
    its association and, with *listen*, on its own listener as the emulator's peer."""

    def __init__(self, ae_title: str = "MOD1", listen: bool = False) -> None:
        self.reports: queue.Queue = queue.Queue()
        self.order: list[int] = []  # command fields received, in order
        self.ae = AE(ae_title=ae_title)
        self.ae.add_requested_context(COMMITMENT)
        self.ae.add_supported_context(COMMITMENT, scu_role=True, scp_role=True)
        # an N-EVENT-REPORT-RSP is on the wire: the first P-DATA written after a report came
        # (pynetdicom fires EVT_DIMSE_SENT before the message's PDUs reach its network loop,
        # and a release queued ahead of them fails them in Sta7)
        self.answered = threading.Event()
        self._reported = threading.Event()
        self.handlers = [
            (evt.EVT_N_EVENT_REPORT, self._report),
            (
                evt.EVT_DIMSE_RECV,
                lambda e: self.order.append(int(e.message.command_set.CommandField)),
            ),
            (evt.EVT_PDU_SENT, self._sent),
        ]
        self.server = None
        if listen:
            self.server = self.ae.start_server(
                ("127.0.0.1", 0), block=False, evt_handlers=self.handlers[:1]
            )
            self.port = int(self.server.server_address[1])

    def _sent(self, event):
        if self._reported.is_set() and isinstance(event.pdu, P_DATA_TF):
            self.answered.set()

    def _report(self, event):
        self._reported.set()
        self.reports.put((event.event_type, event.event_information, event.assoc.is_acceptor))
        return 0x0000, None

    def ask(self, emulator, *refs, keep_open: float = 0.0, **kw):
        assoc = self.ae.associate(
            "127.0.0.1", emulator.dicom_port, ae_title=emulator.ae_title, evt_handlers=self.handlers
        )
        assert assoc.is_established
        try:
            status, _ = assoc.send_n_action(request(*refs, **kw), 1, COMMITMENT, INSTANCE)
            if keep_open:
                with contextlib.suppress(queue.Empty):  # wait for the report, then keep it
                    report = self.reports.get(timeout=keep_open)
                    self.reports.put(report)
                    if not report[2]:  # on this association: release once it is answered
                        self.answered.wait(5)
        finally:
            assoc.release()
        return status

    def report(self, timeout: float = 5.0):
        return self.reports.get(timeout=timeout)

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
