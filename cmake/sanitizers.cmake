# The test build runs under ASan + UBSan. Asio's small-block recycling reuses coroutine frames
# through thread-local caches, which would hide use-after-free from ASan, so it is turned off here.
if(MW_SANITIZE)
  set(MW_SAN_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_compile_options(${MW_SAN_FLAGS} -O1 -g)
  add_link_options(-fsanitize=address,undefined)
  add_compile_definitions(BOOST_ASIO_DISABLE_SMALL_BLOCK_RECYCLING MW_SANITIZED=1)
endif()
