"""DICOMweb (PS3.18): QIDO-RS, WADO-RS and STOW-RS on the admin API's HTTP server, over the
same archive as DIMSE. The views translate HTTP; ``emulator.services`` decides."""
