{
  "targets": [
    {
      "target_name": "virtkit_guestfs",
      "sources": [
        "../native/guestfs_addon.cc",
        "../native/call_pool.cc",
        "../native/hub.cc",
        "../native/errors.cc",
        "../native/errors_guestfs.cc",
        "../native/guestfs.cc",
        "../native/guestfs_calls.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wno-unused-parameter", "-fvisibility=hidden", "<!@(pkg-config --cflags libguestfs)"],
      "libraries": ["<!@(pkg-config --libs libguestfs)"],
      "ldflags": ["-Wl,-z,nodelete"]
    }
  ]
}
