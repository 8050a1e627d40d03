from . import test_skeleton_channel
