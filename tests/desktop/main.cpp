// The desktop tests run inside one QApplication (on the Xvfb display xvfb-run gives),
// so the in-process DesktopApp's real widgets can be driven with QtTest.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <QApplication>

#include "herald/common/i18n.hpp"

int main(int argc, char** argv) {
  herald::i18n::init("herald-desktop");
  QApplication app(argc, argv);
  QApplication::setQuitOnLastWindowClosed(false);
  doctest::Context context(argc, argv);
  return context.run();
}
