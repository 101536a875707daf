# A test RTSP camera: GStreamer's gst-rtsp-server serving a live H.264 test pattern (320x240, 10 fps) at
# rtsp://127.0.0.1:PORT/cam, the way an IP camera serves its main stream. Usage: rtsp-server.py PORT (0 = any free
# port); prints "ready PORT" once it listens. Debian: python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base
# gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly (x264enc).
# Known: bookworm's gst-rtsp-server 1.22 can abort (gst_rtsp_media_get_rates: assertion failed) when two sessions set
# up the shared stream at the same moment; a test that needs two at once should start them one after the other.
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

Gst.init(None)
server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service(sys.argv[1] if len(sys.argv) > 1 else "0")
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch(
    "( videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=10/1 "
    "! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=10 ! rtph264pay name=pay0 pt=96 config-interval=1 )"
)
factory.set_shared(True)
server.get_mount_points().add_factory("/cam", factory)
server.attach(None)
print("ready", server.get_bound_port(), flush=True)
GLib.MainLoop().run()
