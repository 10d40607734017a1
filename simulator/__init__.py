"""KSeF 2.0 simulator: a stateful, local stand-in for KSeF with an admin API and fault injection.

It is not KSeF. It exists so the console can be tested, demonstrated and used for training without the real system.
"""
