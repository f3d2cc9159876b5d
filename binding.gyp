{
  "targets": [
    {
      "target_name": "virtkit",
      "sources": [
        "native/addon.cc",
        "native/call_pool.cc",
        "native/hub.cc",
        "native/errors.cc",
        "native/event_loop.cc",
        "native/connect.cc",
        "native/domain.cc",
        "native/storage_pool.cc",
        "native/storage_vol.cc",
        "native/stream.cc",
        "native/guestfs.cc",
        "native/guestfs_calls.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wno-unused-parameter", "<!@(pkg-config --cflags libvirt libguestfs)"],
      "libraries": ["<!@(pkg-config --libs libvirt libguestfs)"],
      "ldflags": ["-Wl,-z,nodelete"]
    }
  ]
}
